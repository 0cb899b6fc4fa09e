// Small Markdown and number-formatting helpers for chapter pages: escaping table cells, aligned
// tables, and the formats numbers are shown in (so the page and the console agree digit for digit).

import Foundation

/// How a measured number is written on the page and the console.
public enum NumberFormat: Sendable {
  /// Integers with thousands separators, others with 4 significant digits, tiny or huge in scientific.
  case automatic
  /// A fixed number of decimals: `.fixed(3)` writes 0.125.
  case fixed(Int)
  /// A fraction of 1 shown in percent: `.percent(2)` writes 0.9871 as 98.71%.
  case percent(Int)
  /// Scientific notation: `.scientific(2)` writes 1.23e-05.
  case scientific(Int)
  /// Seconds with one decimal: 12.3 s.
  case seconds

  /// The text of `value` in this format.
  public func string(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
    switch self {
    case .automatic:
      if value == value.rounded(), abs(value) < 1e15 { return groupedInteger(Int(value)) }
      if value != 0, abs(value) < 1e-3 || abs(value) >= 1e6 { return String(format: "%.3e", value) }
      return String(format: "%.4g", value)
    case .fixed(let digits): return String(format: "%.\(digits)f", value)
    case .percent(let digits): return String(format: "%.\(digits)f%%", value * 100)
    case .scientific(let digits): return String(format: "%.\(digits)e", value)
    case .seconds: return String(format: "%.1f s", value)
    }
  }
}

/// `60000` → `"60,000"`.
func groupedInteger(_ value: Int) -> String {
  let digits = String(value.magnitude)
  var groups: [Substring] = []
  var end = digits.endIndex
  while end > digits.startIndex {
    let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
    groups.insert(digits[start..<end], at: 0)
    end = start
  }
  return (value < 0 ? "-" : "") + groups.joined(separator: ",")
}

/// A fraction of 1 in percent, for prose: `percent(0.9871)` is `"98.71%"`.
public func percent(_ fraction: Double, digits: Int = 2) -> String {
  NumberFormat.percent(digits).string(fraction)
}

/// A number in the automatic format, for prose: `formatted(60000)` is `"60,000"`.
public func formatted(_ value: Double, _ format: NumberFormat = .automatic) -> String {
  format.string(value)
}

/// A number in the automatic format, for prose.
public func formatted(_ value: Float, _ format: NumberFormat = .automatic) -> String {
  format.string(Double(value))
}

/// A number in the automatic format, for prose.
public func formatted(_ value: Int) -> String { groupedInteger(value) }

enum Markdown {
  /// A cell that cannot break the table: pipes escaped, newlines flattened.
  static func cell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  /// A GitHub-flavoured table.
  static func table(headers: [String], rows: [[String]]) -> String {
    var lines = ["| " + headers.map(cell).joined(separator: " | ") + " |"]
    lines.append("|" + headers.map { _ in " --- " }.joined(separator: "|") + "|")
    for row in rows {
      let padded = row + Array(repeating: "", count: max(0, headers.count - row.count))
      lines.append("| " + padded.map(cell).joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n")
  }
}
