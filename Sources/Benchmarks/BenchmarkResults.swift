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
    // "meta.*" keys hold the text in `meta`; a figure there would collide with it in the JSON.
    precondition(!key.hasPrefix(BenchmarkResults.metaPrefix), "benchmark figure key \(key) clashes with meta keys")
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

  /// The JSON text: one flat object, keys sorted so that files diff cleanly (`Codable` below).
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// Writes the JSON to `path` atomically (`AtomicFile`), so a reader never sees half a file.
  public func write(to path: String) throws {
    let data: Data
    do {
      data = try jsonData()
    } catch {
      throw CNNError("cannot write benchmark results to \(path): \(error)")
    }
    try AtomicFile.write(data, to: path)
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
    do {
      return try JSONDecoder().decode(BenchmarkResults.self, from: data)
    } catch let error as CNNError {
      throw CNNError("\(source): \(error)")
    } catch {
      throw CNNError("\(source) is not a JSON object of benchmark figures")
    }
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

// MARK: - Codable

extension BenchmarkResults: Codable {
  static let metaPrefix = "meta."

  /// A JSON object key chosen at run time (the figure keys are not known in advance).
  struct Key: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
  }

  /// One flat object: each figure under its key (non-finite numbers, which JSON cannot hold, are
  /// left out), each `meta` text under `meta.KEY`. Every key is written once: the two families
  /// cannot clash (`set` refuses figure keys starting with `meta.`), and the assertion holds it.
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    var written = Set<String>()
    for (key, value) in values where value.isFinite {
      precondition(written.insert(key).inserted, "duplicate benchmark JSON key \(key)")
      try container.encode(value, forKey: Key(key))
    }
    for (key, text) in meta {
      let jsonKey = BenchmarkResults.metaPrefix + key
      precondition(written.insert(jsonKey).inserted, "duplicate benchmark JSON key \(jsonKey)")
      try container.encode(text, forKey: Key(jsonKey))
    }
  }

  /// Keys are taken in the order the workloads run (then alphabetically), so a table of a file
  /// reads like the run that wrote it. A non-number figure is a one-line `CNNError`.
  public init(from decoder: Decoder) throws {
    self.init()
    let container = try decoder.container(keyedBy: Key.self)
    let keys = container.allKeys.map(\.stringValue)
      .sorted { (BenchmarkResults.workloadRank($0), $0) < (BenchmarkResults.workloadRank($1), $1) }
    for key in keys {
      if key.hasPrefix(BenchmarkResults.metaPrefix) {
        let name = String(key.dropFirst(BenchmarkResults.metaPrefix.count))
        if let text = try? container.decode(String.self, forKey: Key(key)) {
          meta[name] = text
        } else if let number = try? container.decode(Double.self, forKey: Key(key)) {
          meta[name] = "\(number)"
        } else {
          throw CNNError("value of '\(key)' is neither text nor a number")
        }
      } else if (try? container.decode(Bool.self, forKey: Key(key))) == nil,
                let number = try? container.decode(Double.self, forKey: Key(key)) {
        set(key, number)
      } else {
        throw CNNError("value of '\(key)' is not a number")
      }
    }
  }
}
