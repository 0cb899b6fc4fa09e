// The page a chapter writes as it runs: prose, math, measured numbers, tables, figures and checks,
// echoed to the console as they happen, then saved as `DIR/NN-slug/README.md` and `results.json`.
// A failed check does not stop the chapter; it marks the page (and the run) as failed.

import Foundation
import CNN
import Plotting

/// The page of one chapter, built step by step while the chapter runs.
public final class Page {
  public let number: Int
  public let slug: String
  public let title: String
  public let options: RunOptions
  public let console: Console
  /// Values shared by all chapters of one run.
  public let cache: RunCache
  /// `DIR/NN-slug`: where the README, results.json and figures go.
  public let directory: String

  public var seed: UInt64 { options.seed }
  public var isQuick: Bool { options.isQuick }
  /// The top heading; nil gives "Chapter N: title". (Exercise report cards set their own.)
  public var heading: String?
  /// The link back to the index and the footer's rerun line; nil gives the chapter's.
  public var indexLink: String?
  public var rerunNote: String?

  private var blocks: [String] = []
  private var tryThisBlocks: [String] = []
  private var stepCount = 0
  private var figureCount = 0
  public private(set) var checks: [CheckResult] = []
  public private(set) var metrics: [(key: String, name: String, value: Double, text: String)] = []
  /// File names of the figures written so far, relative to `directory`.
  public private(set) var figureFiles: [String] = []
  /// Figures whose text the canvas clipped at its edge, with the count of clipped glyph pixels.
  public private(set) var clippedText: [String: Int] = [:]
  /// The widest a figure is shown, in pixels: pages are read on code hosts about 900 px wide.
  public static let maxDisplayWidth = 1000
  private let start = ContinuousClock.now

  /// The folder name of a chapter: `08-lenet`.
  public static func folderName(number: Int, slug: String) -> String {
    String(format: "%02d-", number) + slug
  }

  /// A page for chapter `number`; creates its folder (a one-line error when it cannot).
  /// `directory` is where the files go, `DIR/NN-slug` by default; the runner passes a hidden
  /// staging folder instead and swaps it in when the chapter ends (see `Lessons/ChapterFolder.swift`).
  public init(
    number: Int, slug: String, title: String, options: RunOptions, cache: RunCache = RunCache(),
    directory: String? = nil
  ) throws {
    self.number = number
    self.slug = slug
    self.title = title
    self.options = options
    self.cache = cache
    console = Console(isQuiet: options.isQuiet)
    self.directory = directory ?? (options.outputDirectory as NSString)
      .appendingPathComponent(Page.folderName(number: number, slug: slug))
    try createDirectory(self.directory)
  }

  /// Seconds since the page was created.
  public var elapsedSeconds: Double { seconds(ContinuousClock.now - start) }

  /// A generator for one random stream of this run: `SeededGenerator(seed:stream:)`, so different
  /// `stream` numbers give independent sequences (not one sequence shifted), and the same number
  /// gives the same sequence on every run with this seed.
  public func generator(stream: UInt64 = 0) -> SeededGenerator {
    SeededGenerator(seed: seed, stream: stream)
  }

  // MARK: - Content

  /// Starts a new step: a heading on the page and a line on the console.
  public func step(_ heading: String) {
    stepCount += 1
    blocks.append("## \(stepCount). \(heading)")
    console.line("  Step \(stepCount): \(heading)")
  }

  /// A paragraph of explanation (Markdown; `$…$` math renders on GitHub).
  public func prose(_ text: String) {
    blocks.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// Display math: one formula per line, rendered as a `$$` block.
  public func math(_ formulas: String...) {
    for formula in formulas { blocks.append("$$\n\(formula)\n$$") }
  }

  /// A measured number: shown on the console, listed on the page, and stored in `metrics` under
  /// `key` (default: the name in snake case, "test accuracy" → `test_accuracy`).
  /// Returns the formatted text, for interpolation into prose.
  @discardableResult
  public func number(
    _ name: String, _ value: Double, format: NumberFormat = .automatic, key: String? = nil
  ) -> String {
    let text = format.string(value)
    let metricKey = key ?? Page.snakeCase(name)
    metrics.removeAll { $0.key == metricKey }
    metrics.append((metricKey, name, value, text))
    console.line("    \(name) = \(text)")
    return text
  }

  /// A measured number given as a Float or Int.
  @discardableResult
  public func number<V: BinaryFloatingPoint>(
    _ name: String, _ value: V, format: NumberFormat = .automatic, key: String? = nil
  ) -> String {
    number(name, Double(value), format: format, key: key)
  }

  @discardableResult
  public func number(_ name: String, _ value: Int, key: String? = nil) -> String {
    number(name, Double(value), format: .automatic, key: key)
  }

  /// A table of measured values.
  public func table(headers: [String], rows: [[String]]) {
    blocks.append(Markdown.table(headers: headers, rows: rows))
  }

  /// A figure written by `write` to `DIR/NN-slug/fileName`, shown with a caption saying what to
  /// look at. (`figure(_:_:caption:)` with an `Image` calls this.)
  /// `displayWidth` shows the picture scaled to that many pixels (an HTML `<img width>`).
  public func figure(
    _ fileName: String, caption: String, displayWidth: Int? = nil, write: (String) throws -> Void
  ) throws {
    let path = (directory as NSString).appendingPathComponent(fileName)
    try write(path)
    figureCount += 1
    figureFiles.append(fileName)
    let picture = displayWidth.map {
      "<img src=\"\(fileName)\" width=\"\($0)\" alt=\"\(Page.altText(caption).replacingOccurrences(of: "\"", with: "'"))\">"
    } ?? "![\(Page.altText(caption))](\(fileName))"
    blocks.append("\(picture)\n\n*Figure \(figureCount). \(caption)*")
    console.line("    figure \(fileName)")
  }

  /// Writes `image` as `fileName` (PNG) into the chapter's folder and shows it with `caption`.
  /// A picture wider than `maxDisplayWidth` is shown scaled down to it.
  public func figure(_ fileName: String, _ image: Image, caption: String) throws {
    let displayWidth = image.width > Page.maxDisplayWidth ? Page.maxDisplayWidth : nil
    try figure(fileName, caption: caption, displayWidth: displayWidth) { path in try PNG.write(image, to: path) }
    if image.clippedTextPixels > 0 { clippedText[fileName] = image.clippedTextPixels }
  }

  /// Links to the library files this step runs (paths from the package root, `Sources/CNN/...`).
  public func code(_ files: String...) {
    let links = files.map { "[`\($0)`](../../\($0))" }
    blocks.append("Library code: " + links.joined(separator: ", ") + ".")
  }

  /// A "Try this" suggestion: an edit to make in the chapter's file and what to expect.
  public func tryThis(_ text: String) {
    tryThisBlocks.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// A progress bar for a long loop, drawn on this page's console.
  public func progress(_ label: String, total: Int, unit: String = "steps") -> Progress {
    Progress(label, total: total, unit: unit, console: console)
  }

  // MARK: - Checks

  /// Records a check; prints PASS or FAIL. A failure does not stop the chapter but fails the run.
  public func check(_ name: String, value: Double, threshold: Double?, rule: String, passed: Bool) {
    checks.append(CheckResult(name: name, value: value, threshold: threshold, rule: rule, passed: passed))
    let valueText = Page.valueText(value, rule: rule)
    console.line("    \(passed ? "PASS" : "FAIL")  \(name): \(valueText) (\(rule))")
  }

  /// The rule of a yes/no check; its value is 1 for yes and 0 for no (in results.json).
  public static let booleanRule = "expected yes"

  /// A check's value as the page and console show it: "yes"/"no" for a yes/no check.
  static func valueText(_ value: Double, rule: String) -> String {
    rule == booleanRule ? (value == 1 ? "yes" : "no") : NumberFormat.automatic.string(value)
  }

  /// Passes when `value < threshold` (and is a number).
  public func check<V: BinaryFloatingPoint>(_ name: String, _ value: V, below threshold: Double) {
    let v = Double(value)
    check(name, value: v, threshold: threshold, rule: "< \(Page.short(threshold))",
          passed: v.isFinite && v < threshold)
  }

  /// Passes when `value ≤ threshold`.
  public func check<V: BinaryFloatingPoint>(_ name: String, _ value: V, atMost threshold: Double) {
    let v = Double(value)
    check(name, value: v, threshold: threshold, rule: "≤ \(Page.short(threshold))",
          passed: v.isFinite && v <= threshold)
  }

  /// Passes when `value ≥ threshold`.
  public func check<V: BinaryFloatingPoint>(_ name: String, _ value: V, atLeast threshold: Double) {
    let v = Double(value)
    check(name, value: v, threshold: threshold, rule: "≥ \(Page.short(threshold))",
          passed: v.isFinite && v >= threshold)
  }

  /// Passes when `|value − target| ≤ tolerance`; the recorded value is the distance.
  public func check<V: BinaryFloatingPoint>(
    _ name: String, _ value: V, closeTo target: Double, tolerance: Double
  ) {
    let distance = abs(Double(value) - target)
    check(name, value: Double(value), threshold: tolerance,
          rule: "within \(Page.short(tolerance)) of \(Page.short(target))",
          passed: distance.isFinite && distance <= tolerance)
  }

  /// Passes when two counts are equal.
  public func check(_ name: String, _ value: Int, equals expected: Int) {
    check(name, value: Double(value), threshold: Double(expected), rule: "= \(groupedInteger(expected))",
          passed: value == expected)
  }

  /// A true/false check (value 1 or 0, threshold 1).
  public func check(_ name: String, _ condition: Bool) {
    check(name, value: condition ? 1 : 0, threshold: 1, rule: Page.booleanRule, passed: condition)
  }

  /// Whether every check so far passed.
  public var allChecksPassed: Bool { checks.allSatisfy(\.passed) }

  // MARK: - Writing

  /// Writes `README.md` and `results.json` (each through `AtomicFile`: a temporary file and a
  /// rename). `error` is the one-line message when the chapter stopped early.
  @discardableResult
  public func write(error: String? = nil) throws -> ChapterResult {
    let result = self.result(seconds: elapsedSeconds, error: error)
    try AtomicFile.write(readme(seconds: result.seconds, passed: result.passed, error: error),
                         to: (directory as NSString).appendingPathComponent("README.md"))
    try AtomicFile.write(try result.jsonData(), to: (directory as NSString).appendingPathComponent("results.json"))
    return result
  }

  /// What `results.json` records about this run so far.
  public func result(seconds: Double, error: String?) -> ChapterResult {
    // `number(_:_:)` replaces a repeated key, so the keys are unique; the initialiser traps if not.
    let values = Dictionary(uniqueKeysWithValues: metrics.map { ($0.key, $0.value) })
    var result = ChapterResult(
      number: number, slug: slug, title: title, seed: seed, isQuick: isQuick, seconds: seconds,
      error: error, checks: checks, metrics: values, figures: figureFiles)
    result.clippedText = clippedText
    return result
  }

  func readme(seconds: Double, passed: Bool, error: String?) -> String {
    let mode = isQuick ? "quick run (`--quick`)" : "full run"
    let status = error != nil ? "stopped with an error" :
      "\(checks.filter(\.passed).count)/\(checks.count) checks passed"
    var lines = [
      "# \(heading ?? "Chapter \(number): \(title)")", "",
      "*Seed \(seed) · \(mode) · \(NumberFormat.seconds.string(seconds)) · \(status)*", "",
      indexLink ?? "[All chapters](../README.md)", "",
    ]
    if let error { lines += ["> **Error:** \(error)", ""] }
    for block in blocks { lines += [block, ""] }
    if !metrics.isEmpty {
      lines += ["## Numbers measured in this run", ""]
      lines.append(Markdown.table(
        headers: ["Number", "Value", "Key in results.json"],
        rows: metrics.map { [$0.name, $0.text, "`\($0.key)`"] }))
      lines.append("")
    }
    lines += ["## Checks", ""]
    if checks.isEmpty {
      lines += ["No checks ran.", ""]
    } else {
      lines.append(Markdown.table(
        headers: ["Check", "Measured", "Rule", "Result"],
        rows: checks.map {
          [$0.name, Page.valueText($0.value, rule: $0.rule), $0.rule, $0.passed ? "✅ pass" : "❌ FAIL"]
        }))
      lines.append("")
    }
    if !tryThisBlocks.isEmpty {
      lines += ["## Try this", ""]
      for block in tryThisBlocks { lines += [block, ""] }
    }
    if let rerunNote {
      lines += ["---", "", rerunNote, ""]
      return lines.joined(separator: "\n")
    }
    lines += [
      "---", "",
      "Rerun this page: `swift run -c release cnn-lessons run \(number) --seed \(seed)\(isQuick ? " --quick" : "")`"
        + " (edit `Lessons/\(String(format: "%02d", number))-*.swift` first to change it).", "",
    ]
    return lines.joined(separator: "\n")
  }

  // MARK: - Helpers

  static func snakeCase(_ name: String) -> String {
    var result = ""
    for character in name.lowercased() {
      if character.isLetter && character.isASCII || character.isNumber {
        result.append(character)
      } else if !result.isEmpty && !result.hasSuffix("_") {
        result.append("_")
      }
    }
    while result.hasSuffix("_") { result.removeLast() }
    return result
  }

  static func altText(_ caption: String) -> String {
    let firstSentence = caption.split(separator: ".", maxSplits: 1).first.map(String.init) ?? caption
    return firstSentence.replacingOccurrences(of: "[", with: "(").replacingOccurrences(of: "]", with: ")")
  }

  /// A threshold as a reader would write it: 0.05, 1e-04, 60,000.
  static func short(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return groupedInteger(Int(value)) }
    if abs(value) < 1e-2 { return String(format: "%.0e", value) }
    return String(format: "%g", value)
  }
}
