// A chapter's page set (README.md, results.json, figures, checkpoint) changes as a unit.
// The chapter writes into a hidden sibling folder, `DIR/.NN-slug.staging-PID`; when it ends, two
// renames swap it in (old page → `.NN-slug.old-PID`, staging → `NN-slug`) and the old page is
// deleted. A reader, or an interrupt, sees the whole old page or the whole new one, never a mix.
// Whatever a killed run leaves behind is hidden, and the next run cleans it up before it starts.

import CNN
import Foundation

/// The life of one chapter's folder during a run.
enum ChapterFolder {
  /// `DIR/.NN-slug.staging-PID`: where a running chapter writes its page.
  static func stagingPath(final: String) -> String {
    sibling(of: final, prefix: ".", suffix: ".staging-\(getpid())")
  }

  /// `DIR/.NN-slug.old-PID`: the previous page for the instant between the two renames.
  static func backupPath(final: String) -> String {
    sibling(of: final, prefix: ".", suffix: ".old-\(getpid())")
  }

  /// `DIR/NN-slug.failed`: the report of a run that stopped with an error, kept beside the last
  /// good page (the index lists both).
  static func failedPath(final: String) -> String {
    sibling(of: final, prefix: "", suffix: ".failed")
  }

  /// Moves `staging` into place as `final`, replacing any previous page there.
  static func swapIn(staging: String, final: String) throws {
    let backup = backupPath(final: final)
    let hadPage = FileManager.default.fileExists(atPath: final)
    if hadPage, rename(final, backup) != 0 {
      throw CNNError("cannot replace \(final): \(String(cString: strerror(errno)))")
    }
    if rename(staging, final) != 0 {
      let reason = String(cString: strerror(errno))
      if hadPage { _ = rename(backup, final) }
      throw CNNError("cannot move the new page into \(final): \(reason)")
    }
    if hadPage { try? FileManager.default.removeItem(atPath: backup) }
  }

  /// Whether `final` holds a page that ran to its end: a readable results.json with no "error"
  /// text (null or absent). A page whose checks failed is still complete; one stopped by an error
  /// is not.
  static func holdsCompletePage(_ final: String) -> Bool {
    let path = (final as NSString).appendingPathComponent("results.json")
    guard let data = FileManager.default.contents(atPath: path),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          object["chapter"] != nil
    else { return false }
    return !(object["error"] is String)
  }

  /// Removes what interrupted or killed runs left in `output`: staging folders and backups (a
  /// backup whose page is missing, because the run died between the two renames, is put back),
  /// and temporary files (`.x.png.PID.N.tmp`, `README.md.tmp-PID`, `lenet5.ckpt.tmp`) at the top
  /// and inside each chapter folder. Items named after a process still running (another run into
  /// the same folder, or this one) are left alone. Returns how many items were removed or restored.
  @discardableResult
  static func cleanStale(in output: String) -> Int {
    let manager = FileManager.default
    var cleaned = 0
    let names = (try? manager.contentsOfDirectory(atPath: output)) ?? []
    for name in names {
      let path = (output as NSString).appendingPathComponent(name)
      if let (base, kind, pid) = parseWorkFolder(name) {
        guard !isRunning(pid) else { continue }
        let final = (output as NSString).appendingPathComponent(base)
        if kind == "old", !manager.fileExists(atPath: final), rename(path, final) == 0 {
          cleaned += 1
        } else if (try? manager.removeItem(atPath: path)) != nil {
          cleaned += 1
        }
      } else if isStaleTemporaryFile(name) {
        if (try? manager.removeItem(atPath: path)) != nil { cleaned += 1 }
      }
    }
    // Temporary files inside the chapter folders (written there before pages were staged, or by
    // a checkpoint saved straight into chapter 8's folder).
    for name in (try? manager.contentsOfDirectory(atPath: output)) ?? [] where !name.hasPrefix(".") {
      let folder = (output as NSString).appendingPathComponent(name)
      var isDirectory: ObjCBool = false
      guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
      for file in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] where isStaleTemporaryFile(file) {
        if (try? manager.removeItem(atPath: (folder as NSString).appendingPathComponent(file))) != nil {
          cleaned += 1
        }
      }
    }
    return cleaned
  }

  // MARK: - Names

  private static func sibling(of final: String, prefix: String, suffix: String) -> String {
    let parent = (final as NSString).deletingLastPathComponent
    return (parent as NSString).appendingPathComponent(prefix + (final as NSString).lastPathComponent + suffix)
  }

  /// `.08-lenet.staging-123` → ("08-lenet", "staging", 123); nil for anything else.
  static func parseWorkFolder(_ name: String) -> (base: String, kind: String, pid: Int32)? {
    guard name.hasPrefix(".") else { return nil }
    for kind in ["staging", "old"] {
      let marker = ".\(kind)-"
      guard let range = name.range(of: marker, options: .backwards),
            let pid = Int32(name[range.upperBound...]) else { continue }
      let base = String(name[name.index(after: name.startIndex)..<range.lowerBound])
      guard !base.isEmpty else { continue }
      return (base, kind, pid)
    }
    return nil
  }

  /// The temporary names of the library's atomic writes: `.NAME.PID.RANDOM.tmp` (PNG),
  /// `NAME.tmp-PID` (text files) and `NAME.tmp` (checkpoints), unless PID is still running.
  static func isStaleTemporaryFile(_ name: String) -> Bool {
    if name.hasPrefix("."), name.hasSuffix(".tmp") {
      let parts = name.split(separator: ".")
      if parts.count >= 4, let pid = Int32(parts[parts.count - 3]) { return !isRunning(pid) }
      return true
    }
    if let range = name.range(of: ".tmp-", options: .backwards) {
      guard let pid = Int32(name[range.upperBound...]) else { return false }
      return !isRunning(pid)
    }
    return name.hasSuffix(".ckpt.tmp")
  }

  /// Whether `pid` names this process or another live one (signal 0 probes without sending).
  private static func isRunning(_ pid: Int32) -> Bool {
    pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
  }
}

/// Ctrl-C during `cnn-lessons run`: the run stops at once with one line on standard error and exit
/// status 130 (128 + SIGINT, the shell's convention), deleting the page being staged, so every
/// page in the output folder is the one from before the run (or one this run finished).
///
/// The signal is delivered through a Dispatch source on a background queue, where ordinary Swift
/// is allowed (a C signal handler may only touch async-signal-safe state). The handler waits for
/// a page swap in progress to finish (the lock) before it exits, so it never splits the two renames.
public final class InterruptHandler: @unchecked Sendable {
  private let lock = NSLock()
  private var staging: String?
  private var chapter: Int?
  private var source: DispatchSourceSignal?

  private init() {}

  /// Takes over SIGINT for this process. Call once, from the command line, before running chapters.
  public static func install() -> InterruptHandler {
    let handler = InterruptHandler()
    // The default action (terminate at once) must be off for the Dispatch source to see the signal.
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global(qos: .userInitiated))
    source.setEventHandler { handler.stop() }
    source.resume()
    handler.source = source
    return handler
  }

  /// Records the chapter now writing into `staging`.
  func begin(chapter: Int, staging: String) {
    lock.withLock { (self.chapter, self.staging) = (chapter, staging) }
  }

  /// Runs `body` (the swap) with the interrupt held off until it completes.
  func finish<T>(_ body: () throws -> T) rethrows -> T {
    try lock.withLock {
      defer { (chapter, staging) = (nil, nil) }
      return try body()
    }
  }

  private func stop() {
    lock.lock()  // never unlocked: the process ends below
    if let staging { try? FileManager.default.removeItem(atPath: staging) }
    let which = chapter.map { "chapter \($0) stopped; its page was left as it was before this run" } ?? "stopped between chapters; every page written is complete"
    fflush(nil)
    // A progress bar may have left the terminal line unfinished.
    let lead = isatty(STDOUT_FILENO) == 1 ? "\n" : ""
    FileHandle.standardError.write(Data("\(lead)Interrupted: \(which).\n".utf8))
    _exit(130)
  }
}
