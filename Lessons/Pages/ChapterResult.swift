// `results.json`: what one chapter's run measured and checked, as one Codable type. The page
// writes it, the index reads it back, the runner reports from it, and later chapters decide
// from it whether an earlier run can be reused; all through JSONEncoder and JSONDecoder.

import CNN
import Foundation

/// One check's outcome as recorded in `results.json`.
public struct CheckResult: Sendable, Equatable, Codable {
  public let name: String
  /// The measured value; NaN or ±∞ is written as `null` (JSON has no such numbers) and read back
  /// as NaN.
  public let value: Double
  /// The bound the value was held to; nil for a plain true/false check.
  public let threshold: Double?
  /// The rule as the page shows it, such as `< 1e-04` or `≥ 98.50%`.
  public let rule: String
  public let passed: Bool

  public init(name: String, value: Double, threshold: Double?, rule: String, passed: Bool) {
    self.name = name
    self.value = value
    self.threshold = threshold
    self.rule = rule
    self.passed = passed
  }

  enum CodingKeys: String, CodingKey { case name, value, threshold, rule, passed }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    try container.encode(value.finiteOrNil, forKey: .value)
    try container.encode(threshold?.finiteOrNil, forKey: .threshold)
    try container.encode(rule, forKey: .rule)
    try container.encode(passed, forKey: .passed)
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    name = try container.decode(String.self, forKey: .name)
    value = try container.decodeIfPresent(Double.self, forKey: .value) ?? .nan
    threshold = try container.decodeIfPresent(Double.self, forKey: .threshold)
    rule = try container.decode(String.self, forKey: .rule)
    passed = try container.decode(Bool.self, forKey: .passed)
  }
}

/// One chapter's run: the contents of `DIR/NN-slug/results.json`.
///
/// JSON keys (sorted in the file): `chapter`, `checks`, `error`, `figures`, `metrics`, `passed`,
/// `quick`, `seconds`, `seed`, `slug`, `title`. `metrics` maps each number's key (unique on a page:
/// `Page.number` replaces a number recorded twice) to its value, `null` when not finite.
public struct ChapterResult: Sendable, Equatable, Codable {
  public var number: Int
  public var slug: String
  public var title: String
  public var seed: UInt64
  public var isQuick: Bool
  /// Wall-clock seconds, rounded to milliseconds.
  public var seconds: Double
  /// No error and every check passed.
  public var passed: Bool
  /// The one-line error when the chapter stopped early.
  public var error: String?
  public var checks: [CheckResult]
  /// Measured numbers by key; NaN stands for a value that was not finite.
  public var metrics: [String: Double]
  /// File names of the figures, relative to the chapter's folder, in page order.
  public var figures: [String]

  public init(
    number: Int, slug: String, title: String, seed: UInt64, isQuick: Bool, seconds: Double,
    error: String?, checks: [CheckResult], metrics: [String: Double], figures: [String]
  ) {
    self.number = number
    self.slug = slug
    self.title = title
    self.seed = seed
    self.isQuick = isQuick
    self.seconds = (seconds * 1000).rounded() / 1000
    self.passed = error == nil && checks.allSatisfy(\.passed)
    self.error = error
    self.checks = checks
    self.metrics = metrics
    self.figures = figures
  }

  public var checksPassed: Int { checks.filter(\.passed).count }
  public var checkCount: Int { checks.count }

  enum CodingKeys: String, CodingKey {
    case number = "chapter", slug, title, seed, isQuick = "quick", seconds, passed, error, checks, metrics, figures
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(number, forKey: .number)
    try container.encode(slug, forKey: .slug)
    try container.encode(title, forKey: .title)
    try container.encode(seed, forKey: .seed)
    try container.encode(isQuick, forKey: .isQuick)
    try container.encode(seconds.finiteOrNil, forKey: .seconds)
    try container.encode(passed, forKey: .passed)
    try container.encode(error, forKey: .error)
    try container.encode(checks, forKey: .checks)
    try container.encode(metrics.mapValues(\.finiteOrNil), forKey: .metrics)
    try container.encode(figures, forKey: .figures)
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    number = try container.decode(Int.self, forKey: .number)
    slug = try container.decode(String.self, forKey: .slug)
    title = try container.decode(String.self, forKey: .title)
    seed = try container.decode(UInt64.self, forKey: .seed)
    isQuick = try container.decode(Bool.self, forKey: .isQuick)
    seconds = try container.decodeIfPresent(Double.self, forKey: .seconds) ?? .nan
    passed = try container.decode(Bool.self, forKey: .passed)
    error = try container.decodeIfPresent(String.self, forKey: .error)
    checks = try container.decode([CheckResult].self, forKey: .checks)
    metrics = try container.decode([String: Double?].self, forKey: .metrics).mapValues { $0 ?? .nan }
    figures = try container.decode([String].self, forKey: .figures)
  }

  /// The JSON text: keys sorted so that files diff cleanly, pretty-printed for reading.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// Reads `path` (a `results.json`), or throws a one-line error naming it.
  public static func read(from path: String) throws -> ChapterResult {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CNNError("cannot read \(path): no such file or not readable")
    }
    do {
      return try JSONDecoder().decode(ChapterResult.self, from: data)
    } catch {
      throw CNNError("\(path) is not a chapter's results.json (\(Self.reason(error)))")
    }
  }

  /// The decoding error in a few words: which key is missing or of the wrong type.
  static func reason(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
    default: return "not valid JSON"
    }
  }
}

/// What `Page.write` returns: the chapter's result, the same value as its `results.json`.
public typealias ChapterSummary = ChapterResult

extension Double {
  /// Self, or nil when not finite: JSON has no NaN or infinity, so those are written as `null`.
  var finiteOrNil: Double? { isFinite ? self : nil }
}
