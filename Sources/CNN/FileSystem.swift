// Writing files the way every part of the project does: through a temporary file and a rename
// (`AtomicFile`: a reader never sees half a file), into folders created with a one-line error
// when they cannot be.

import Foundation

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
