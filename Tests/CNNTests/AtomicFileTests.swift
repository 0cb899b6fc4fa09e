import Foundation
import Testing
import CNN

private func scratchFolder(_ name: String) throws -> String {
  let folder = NSTemporaryDirectory() + "atomic-\(name)-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  return folder
}

private func entries(_ folder: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
}

@Test("AtomicFile writes the bytes, replaces an old file and leaves no temporary file")
func atomicWriteReplaces() throws {
  let folder = try scratchFolder("write")
  defer { try? FileManager.default.removeItem(atPath: folder) }
  let path = folder + "/results.json"
  try AtomicFile.write(Data("first".utf8), to: path)
  try AtomicFile.write("second, longer", to: path)
  #expect(try String(contentsOfFile: path, encoding: .utf8) == "second, longer")
  #expect(try entries(folder) == ["results.json"])
}

@Test("the temporary file is hidden, in the same folder, and unique per call")
func atomicTemporaryName() {
  let a = AtomicFile.temporaryPath(for: "/some/folder/page.md")
  let b = AtomicFile.temporaryPath(for: "/some/folder/page.md")
  #expect(a != b)
  #expect(a.hasPrefix("/some/folder/.page.md.\(getpid())."))
  #expect(a.hasSuffix(".tmp"))
  #expect(AtomicFile.isTemporary((a as NSString).lastPathComponent))
  #expect(!AtomicFile.isTemporary("page.md"))
  #expect(AtomicFile.temporaryPath(for: "bare.txt").hasPrefix("./.bare.txt."))
}

@Test("a failed write keeps the old file and removes the temporary one")
func atomicWriteFailure() throws {
  let folder = try scratchFolder("fail")
  defer { try? FileManager.default.removeItem(atPath: folder) }
  let path = folder + "/model.ckpt"
  try AtomicFile.write("old", to: path)
  var temporarySeen: String?
  #expect(throws: CNNError.self) {
    try AtomicFile.write(to: path) { temporary in
      temporarySeen = temporary
      try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
      throw CNNError("writer stopped halfway")
    }
  }
  #expect(temporarySeen.map { ($0 as NSString).deletingLastPathComponent } == folder)
  #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
  #expect(try entries(folder) == ["model.ckpt"])

  // A missing folder is a one-line error naming the path.
  #expect {
    try AtomicFile.write("x", to: folder + "/missing/file.txt")
  } throws: { error in
    "\(error)".contains("missing/file.txt") && "\(error)".contains("does not exist")
  }
}
