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

/// Writes `text` to `path` through a temporary file and a rename (`AtomicFile.write`), so a
/// reader never sees half a file.
public func writeAtomically(_ text: String, to path: String) throws {
  try AtomicFile.write(text, to: path)
}

/// Creates a folder and its parents, or throws a one-line error saying why it cannot.
public func createDirectory(_ path: String) throws {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
    guard isDirectory.boolValue else { throw CNNError("cannot use \(path) as a folder: it is a file") }
  } else {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw CNNError("cannot create folder \(path): \(blockingAncestorReason(path) ?? systemReason(error))")
    }
  }
  guard FileManager.default.isWritableFile(atPath: path) else {
    throw CNNError("cannot write into folder \(path): permission denied")
  }
}

/// Why a folder cannot be created under its nearest existing ancestor: a file in the way, or no
/// write permission. Foundation's own message for these cases is a generic "could not be completed".
func blockingAncestorReason(_ path: String) -> String? {
  var ancestor = (path as NSString).deletingLastPathComponent
  while !ancestor.isEmpty && ancestor != "/" {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: ancestor, isDirectory: &isDirectory) {
      if !isDirectory.boolValue { return "\(ancestor) is a file, not a folder" }
      if !FileManager.default.isWritableFile(atPath: ancestor) { return "no permission to write in \(ancestor)" }
      return nil
    }
    ancestor = (ancestor as NSString).deletingLastPathComponent
  }
  return nil
}

/// The short reason inside a Foundation error ("Permission denied", "Not a directory").
func systemReason(_ error: Error) -> String {
  let nsError = error as NSError
  if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
     underlying.domain == NSPOSIXErrorDomain, let code = Int32(exactly: underlying.code) {
    return String(cString: strerror(code))
  }
  if nsError.domain == NSPOSIXErrorDomain, let code = Int32(exactly: nsError.code) {
    return String(cString: strerror(code))
  }
  return nsError.localizedDescription.components(separatedBy: "\n").first ?? "\(error)"
}
