// The benchmark's results: named figures under stable dotted keys, the readable table, and the
// JSON file shared with the PyTorch reference script (pytorch_reference.py writes the same keys).

import Foundation
import CNN

/// Figures keyed like `gemm.1024.t2.gflops`, `conv.b.fwdbwd.ms`, `lenet.train.images_per_s`.
///
/// JSON layout (flat, so any tool can read it): a repeated figure is stored as two numbers,
/// `"<key>.best"` and `"<key>.median"`; a single measurement (accuracy, peak memory) as `"<key>"`;
/// text about the run under `"meta.*"` keys. The key's unit word tells which way is better:
/// `ms` lower; `gflops`, `images_per_s` higher; `peak_rss_mb` lower (memory).
public struct BenchmarkResults: Sendable, Equatable {
  /// Numbers by full JSON key (with `.best` / `.median` suffixes where repeated).
  public private(set) var values: [String: Double] = [:]
  /// Text about the run: date, CPU, threads, command.
  public var meta: [String: String] = [:]
  /// Keys in the order they were recorded (the table's row order); JSON read back is sorted.
  public private(set) var order: [String] = []

  public init() {}

  /// Records a repeated figure as `key.best` and `key.median`.
  public mutating func record(_ key: String, _ figure: Figure) {
    set(key + ".best", figure.best)
    set(key + ".median", figure.median)
  }

  /// Records a single measurement.
  public mutating func record(_ key: String, value: Double) { set(key, value) }

  /// Adds every figure of `other` (for results measured in a child process).
  public mutating func merge(_ other: BenchmarkResults) {
    for key in other.order { set(key, other.values[key]!) }
    meta.merge(other.meta) { mine, _ in mine }
  }

  private mutating func set(_ key: String, _ value: Double) {
    if values[key] == nil { order.append(key) }
    values[key] = value
  }

  /// The figure names (keys without `.best` / `.median`) in recorded order.
  public var figureNames: [String] {
    var seen = Set<String>()
    return order.map(BenchmarkResults.figureName).filter { seen.insert($0).inserted }
  }

  /// (best, median) of a repeated figure, or (value, value) of a single one.
  public func figure(_ name: String) -> Figure? {
    if let best = values[name + ".best"], let median = values[name + ".median"] {
      return Figure(best: best, median: median)
    }
    return values[name].map { Figure(best: $0, median: $0) }
  }

  static func figureName(_ key: String) -> String {
    for suffix in [".best", ".median"] where key.hasSuffix(suffix) { return String(key.dropLast(suffix.count)) }
    return key
  }

  // MARK: - JSON

  /// The JSON text: one flat object, keys sorted so that files diff cleanly.
  public func jsonData() throws -> Data {
    var object: [String: Any] = [:]
    for (key, value) in values { object[key] = value.isFinite ? value : nil }
    for (key, text) in meta { object["meta." + key] = text }
    return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  }

  /// Writes the JSON to `path` atomically: a temporary file in the same folder, then a rename,
  /// so a reader never sees half a file.
  public func write(to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
      try jsonData().write(to: temporary)
      if rename(temporary.path, url.path) != 0 {
        throw CNNError("cannot rename \(temporary.path) to \(path): \(String(cString: strerror(errno)))")
      }
    } catch let error as CNNError {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw CNNError("cannot write benchmark results to \(path): \(writeProblem(at: path))")
    }
  }

  /// Reads a file written by `write(to:)` or by pytorch_reference.py. Numbers become figures,
  /// strings under `meta.` become `meta`; anything else is a one-line error.
  public static func read(from path: String) throws -> BenchmarkResults {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CNNError("cannot read benchmark results from \(path)")
    }
    return try decode(data, source: path)
  }

  static func decode(_ data: Data, source: String) throws -> BenchmarkResults {
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw CNNError("\(source) is not a JSON object of benchmark figures")
    }
    var results = BenchmarkResults()
    for key in object.keys.sorted(by: { (workloadRank($0), $0) < (workloadRank($1), $1) }) {
      if key.hasPrefix("meta.") {
        results.meta[String(key.dropFirst(5))] = "\(object[key]!)"
      } else if let number = object[key] as? NSNumber, !(object[key] is Bool) {
        results.set(key, number.doubleValue)
      } else {
        throw CNNError("\(source): value of '\(key)' is not a number")
      }
    }
    return results
  }

  /// Keys read back from JSON come in the order the workloads run (then alphabetically), so a
  /// table of a file reads like the run that wrote it.
  static func workloadRank(_ key: String) -> Int {
    let first = key.split(separator: ".").first.map(String.init) ?? ""
    let order = ["gemm", "numpy", "conv", "pool", "lenet", "modern", "inference"]
    return order.firstIndex(of: first) ?? order.count
  }

  // MARK: - Table

  /// A readable table: one row per figure with its best and median, in recorded order.
  public func table() -> String {
    var rows = [["figure", "best", "median"]]
    for name in figureNames {
      guard let figure = figure(name) else { continue }
      let repeated = values[name + ".best"] != nil
      rows.append([name, BenchmarkResults.format(figure.best), repeated ? BenchmarkResults.format(figure.median) : ""])
    }
    return BenchmarkResults.render(rows)
  }

  /// Numbers with about four significant digits.
  static func format(_ value: Double) -> String {
    let magnitude = abs(value)
    if magnitude >= 1000 { return String(format: "%.0f", value) }
    if magnitude >= 100 { return String(format: "%.1f", value) }
    if magnitude >= 1 { return String(format: "%.2f", value) }
    return String(format: "%.4f", value)
  }

  /// Left-aligned first column, right-aligned numbers, columns separated by two spaces.
  static func render(_ rows: [[String]]) -> String {
    let columns = rows.map(\.count).max() ?? 0
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return column == 0 ? cell + padding : padding + cell
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}
