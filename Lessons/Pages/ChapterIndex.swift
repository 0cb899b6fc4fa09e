// The index page `DIR/README.md`: one row per chapter that has run, rebuilt from the
// `results.json` files present, so chapters run one at a time still share one index.

import Foundation
import CNN

public enum ChapterIndex {
  /// One chapter's row: its folder and its `results.json`, whose fields read through
  /// (`entry.number`, `entry.isQuick`, …).
  @dynamicMemberLookup
  public struct Entry: Sendable {
    public let folder: String
    public let result: ChapterResult

    public subscript<Value>(dynamicMember keyPath: KeyPath<ChapterResult, Value>) -> Value {
      result[keyPath: keyPath]
    }
  }

  /// Reads every `*/results.json` under `directory` (`ChapterResult.read`); unreadable files are
  /// skipped.
  public static func entries(in directory: String) -> [Entry] {
    let folders = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    var entries: [Entry] = []
    // Hidden folders are a run's work in progress (`.08-lenet.staging-PID`), never pages.
    for folder in folders.sorted() where !folder.hasPrefix(".") {
      let path = (directory as NSString).appendingPathComponent(folder + "/results.json")
      guard let result = try? ChapterResult.read(from: path) else { continue }
      entries.append(Entry(folder: folder, result: result))
    }
    return entries.sorted { ($0.number, $0.folder) < ($1.number, $1.folder) }
  }

  /// Rewrites `DIR/README.md` from the results present.
  public static func write(to directory: String) throws {
    let entries = entries(in: directory)
    var lines = [
      "# cnn-lessons: the chapter pages", "",
      "Each page below was written by `cnn-lessons run`; rerun a chapter to regenerate its page.", "",
      "Write the core layers yourself: `cnn-lessons exercises` lists the graded exercises "
        + "(`Lessons/Exercises/`), and `cnn-lessons exercise N` grades yours and writes its report card "
        + "under [`exercises/`](exercises/README.md).", "",
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
    try AtomicFile.write(lines.joined(separator: "\n"), to: (directory as NSString).appendingPathComponent("README.md"))
  }
}
