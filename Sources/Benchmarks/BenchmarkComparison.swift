// Our figures beside a reference run's (PyTorch, and numpy/OpenBLAS for GEMM) with the ratios the
// README's targets are stated in.

import CNN

/// How a figure's two values compare, from the unit word in its key.
enum FigureKind: Sendable, Equatable {
  /// Milliseconds: lower is faster. Speed ratio = their time / our time.
  case time
  /// GFLOP/s, images/s: higher is faster. Speed ratio = our rate / their rate.
  case rate
  /// Peak resident memory: ratio = ours / theirs (lower is better).
  case memory
  /// Accuracy and counts: shown side by side, no ratio.
  case other

  init(key: String) {
    let words = key.split(separator: ".")
    if words.contains("ms") { self = .time }
    else if words.contains("gflops") || words.contains(where: { $0.hasSuffix("images_per_s") }) { self = .rate }
    else if words.contains("peak_rss_mb") { self = .memory }
    else { self = .other }
  }

  /// The ratio as the README's targets state it: for speed, > 1 means we are faster; for memory, < 1 means
  /// we use less. Nil for figures without a meaningful ratio.
  func ratio(ours: Double, theirs: Double) -> Double? {
    guard ours > 0, theirs > 0 else { return nil }
    switch self {
    case .time: return theirs / ours
    case .rate, .memory: return ours / theirs
    case .other: return nil
    }
  }
}

extension BenchmarkResults {
  /// The name of a reference figure for numpy's GEMM: `numpy.` + our key.
  static let numpyPrefix = "numpy."

  /// One row per figure present in both runs (and one per numpy GEMM figure):
  /// figure, ours best, theirs best, ratio of bests, ours median, theirs median, ratio of medians.
  func comparisonRows(with reference: BenchmarkResults, referenceName: String = "torch") -> [[String]] {
    var rows: [[String]] = []
    func row(_ label: String, _ name: String, _ theirs: Figure) {
      guard let ours = figure(name) else { return }
      let kind = FigureKind(key: name)
      let best = kind.ratio(ours: ours.best, theirs: theirs.best)
      let median = kind.ratio(ours: ours.median, theirs: theirs.median)
      rows.append([
        label, BenchmarkResults.format(ours.best), BenchmarkResults.format(theirs.best), best.map(BenchmarkResults.ratioText) ?? "-",
        BenchmarkResults.format(ours.median), BenchmarkResults.format(theirs.median), median.map(BenchmarkResults.ratioText) ?? "-",
      ])
    }
    for name in figureNames {
      if let theirs = reference.figure(name) { row(name, name, theirs) }
      if let numpy = reference.figure(BenchmarkResults.numpyPrefix + name) { row(name + " vs numpy", name, numpy) }
    }
    return rows
  }

  /// The side-by-side table printed by `cnn-lessons bench --compare FILE`.
  public func comparisonTable(with reference: BenchmarkResults, referenceName: String = "torch") -> String {
    let header = ["figure", "ours best", "\(referenceName) best", "ratio", "ours median", "\(referenceName) median", "ratio"]
    let rows = comparisonRows(with: reference, referenceName: referenceName)
    if rows.isEmpty { return "no figure in common with the reference file" }
    return BenchmarkResults.render([header] + rows) + "\n"
      + "ratio: speed = our speed / theirs (> 1: we are faster); peak_rss_mb = ours / theirs (< 1: we use less)."
  }

  static func ratioText(_ ratio: Double) -> String { String(format: "%.2fx", ratio) }
}
