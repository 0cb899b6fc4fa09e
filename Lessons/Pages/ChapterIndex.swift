// The index page `DIR/README.md`: one row per chapter that has run, rebuilt from the
// `results.json` files present, so chapters run one at a time still share one index.

import Foundation
import CNN

public enum ChapterIndex {
  /// One chapter's row, read back from its `results.json`.
  public struct Entry: Sendable {
    public let folder: String
    public let number: Int
    public let title: String
    public let seed: UInt64
    public let isQuick: Bool
    public let seconds: Double
    public let passed: Bool
    public let checksPassed: Int
    public let checkCount: Int
    public let error: String?
  }

  /// Reads every `*/results.json` under `directory`; unreadable files are skipped.
  public static func entries(in directory: String) -> [Entry] {
    let folders = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    var entries: [Entry] = []
    for folder in folders.sorted() {
      let path = (directory as NSString).appendingPathComponent(folder + "/results.json")
      guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let number = (object["chapter"] as? NSNumber)?.intValue,
            let title = object["title"] as? String
      else { continue }
      let checks = object["checks"] as? [[String: Any]] ?? []
      let passedChecks = checks.filter { ($0["passed"] as? Bool) == true }.count
      entries.append(Entry(
        folder: folder, number: number, title: title,
        seed: (object["seed"] as? NSNumber)?.uint64Value ?? 0,
        isQuick: object["quick"] as? Bool ?? false,
        seconds: (object["seconds"] as? NSNumber)?.doubleValue ?? 0,
        passed: object["passed"] as? Bool ?? false,
        checksPassed: passedChecks, checkCount: checks.count,
        error: object["error"] as? String))
    }
    return entries.sorted { ($0.number, $0.folder) < ($1.number, $1.folder) }
  }

  /// Rewrites `DIR/README.md` from the results present.
  public static func write(to directory: String) throws {
    let entries = entries(in: directory)
    var lines = [
      "# cnn-lessons: the chapter pages", "",
      "Each page below was written by `cnn-lessons run`; rerun a chapter to regenerate its page.", "",
    ]
    let rows = entries.map { entry -> [String] in
      let status = entry.error != nil ? "❌ error" : entry.passed ? "✅ passed" : "❌ failed"
      return [
        "\(entry.number)", "[\(entry.title)](\(entry.folder)/README.md)", status,
        "\(entry.checksPassed)/\(entry.checkCount)", "\(entry.seed)", entry.isQuick ? "quick" : "full",
        NumberFormat.seconds.string(entry.seconds),
      ]
    }
    lines.append(Markdown.table(
      headers: ["#", "Chapter", "Status", "Checks", "Seed", "Mode", "Duration"], rows: rows))
    let total = entries.reduce(0) { $0 + $1.seconds }
    lines += ["", "Total time of the chapters listed: \(NumberFormat.seconds.string(total)).", ""]
    try writeAtomically(lines.joined(separator: "\n"), to: (directory as NSString).appendingPathComponent("README.md"))
  }
}
