// Writing a file so that a reader never sees half of it: write a temporary file in the same
// folder, then rename it over the real name. rename(2) within one file system replaces the target
// in one step, so the path holds either the old file or the complete new one, even if the process
// dies mid-write. Pages, PNG figures, results.json, benchmark results and checkpoints all go
// through here.

import Foundation

public enum AtomicFile {
  /// Writes `data` to `path` through a temporary file and a rename. On failure nothing is left
  /// behind: the temporary file is removed and a file already at `path` is untouched.
  public static func write(_ data: Data, to path: String) throws {
    try write(to: path) { temporary in
      guard FileManager.default.createFile(atPath: temporary, contents: data) else {
        throw CNNError("cannot write \(path): \(writeProblem(at: temporary))")
      }
    }
  }

  /// Writes `text` as UTF-8 to `path` through a temporary file and a rename.
  public static func write(_ text: String, to path: String) throws {
    try write(Data(text.utf8), to: path)
  }

  /// Calls `writeTemporary` with a temporary path in `path`'s folder, then renames that file over
  /// `path`. For writers that need a path rather than bytes (libpng writes PNGs to a file).
  /// If `writeTemporary` throws, or the rename fails, the temporary file is removed and the error
  /// is a one-line `CNNError` naming `path`.
  public static func write(to path: String, using writeTemporary: (String) throws -> Void) throws {
    // A missing, non-folder or read-only folder is named before anything is written
    // (`writeProblem` words the cause: "the folder … does not exist", "… is a file, not a folder").
    let folder = folder(of: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue,
          access(folder, W_OK) == 0 else {
      throw CNNError("cannot write \(path): \(writeProblem(at: path))")
    }
    let temporary = temporaryPath(for: path)
    do {
      try writeTemporary(temporary)
    } catch {
      unlink(temporary)
      throw error as? CNNError ?? CNNError("cannot write \(path): \(error)")
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      var isFolder: ObjCBool = false
      let targetIsFolder = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
      throw CNNError("cannot write \(path): \(targetIsFolder ? "\(path) is a folder" : "rename failed (\(reason))")")
    }
  }

  /// The one temporary-name scheme: `.NAME.PID.RANDOM.tmp` beside `path`. Same folder, so the
  /// rename stays on one file system; hidden (leading dot), so `ls` and globs skip it; the process
  /// id and a random number keep two writers of the same file from sharing a temporary file.
  public static func temporaryPath(for path: String) -> String {
    let name = (path as NSString).lastPathComponent
    let random = UInt32.random(in: 0...UInt32.max)
    return (folder(of: path) as NSString).appendingPathComponent(".\(name).\(getpid()).\(random).tmp")
  }

  /// Whether `fileName` is a temporary file of this scheme (for cleaning up after a crash).
  public static func isTemporary(_ fileName: String) -> Bool {
    fileName.hasPrefix(".") && fileName.hasSuffix(".tmp") && fileName.split(separator: ".").count >= 4
  }

  static func folder(of path: String) -> String {
    let folder = (path as NSString).deletingLastPathComponent
    return folder.isEmpty ? "." : folder
  }
}
