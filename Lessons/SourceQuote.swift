// Quoting library code on a page: the declaration is read from its source file on every run, so
// the page shows the code as it is, never a copy that drifts from it.

import CNN
import Foundation

/// Extracting one declaration, with the comments directly above it, from Swift source text.
enum SourceQuote {
  /// The lines from the comment block directly above the first line containing `declaration`
  /// (no blank line between) to the brace that closes its body, with their common indentation
  /// removed. Nil when `declaration` is not found or its braces never balance.
  static func declaration(_ declaration: String, in source: String) -> String? {
    let lines = source.components(separatedBy: "\n")
    guard let start = lines.firstIndex(where: { $0.contains(declaration) }) else { return nil }
    var first = start
    while first > 0 && lines[first - 1].trimmingCharacters(in: .whitespaces).hasPrefix("//") { first -= 1 }
    // Braces in strings or comments would miscount; library declarations quoted here have none.
    var depth = 0
    var opened = false
    for end in start..<lines.count {
      for character in lines[end] {
        if character == "{" { depth += 1; opened = true }
        if character == "}" { depth -= 1 }
      }
      if opened && depth == 0 { return dedented(lines[first...end]) }
    }
    return nil
  }

  /// Removes the indentation every non-blank line shares.
  static func dedented(_ lines: ArraySlice<String>) -> String {
    let indent = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
      .map { $0.prefix { $0 == " " }.count }.min() ?? 0
    return lines.map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " }.count))) }.joined(separator: "\n")
  }
}

extension Page {
  /// Shows the declaration containing `declaration` (for example `"static func directForward("`)
  /// from `file` (a path from the package root) as a Swift code block, with a link to the file.
  /// Throws a one-line error when the file or the declaration is gone, so a rename fails the run
  /// instead of leaving the page quoting code that no longer exists.
  func quote(_ declaration: String, from file: String) throws {
    let path = packageRoot + "/" + file
    guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw CNNError("cannot read \(file) to quote \(declaration) on the page")
    }
    guard let code = SourceQuote.declaration(declaration, in: source) else {
      throw CNNError("\(file) has no declaration containing \"\(declaration)\" to quote on the page")
    }
    prose("From [`\(file)`](../../\(file)):\n\n```swift\n\(code)\n```")
  }
}
