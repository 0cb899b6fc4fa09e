// Reads a whole file into memory, transparently decompressing gzip (.gz) through zlib.
// Foundation on Linux cannot inflate, so this calls zlib's gzopen/gzread directly; a damaged
// archive is reported as an error instead of being returned as garbage bytes.

import CZlib
import Foundation

/// Whole-file reading, raw or gzip-compressed.
public enum Gzip {
  /// The two bytes every gzip member starts with (RFC 1952 §2.3.1: ID1 = 0x1f, ID2 = 0x8b).
  static let magic: [UInt8] = [0x1f, 0x8b]

  /// Returns the contents of `path`, decompressed if the file starts with the gzip magic bytes.
  ///
  /// Errors name the file: missing, unreadable, or a corrupt/truncated gzip stream.
  public static func readFile(_ path: String) throws -> [UInt8] {
    let name = (path as NSString).lastPathComponent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CNNError("\(name): file not found at \(path)")
    }
    guard !isDirectory.boolValue else { throw CNNError("\(name): is a folder, expected a file (\(path))") }
    guard let raw = FileManager.default.contents(atPath: path) else {
      throw CNNError("\(name): cannot be read (permission denied?) at \(path)")
    }
    let bytes = [UInt8](raw)
    guard bytes.starts(with: magic) else { return bytes }
    return try inflate(path: path, name: name, compressedSize: bytes.count, trailer: bytes.suffix(4))
  }

  /// Decompresses a gzip file with gzread in a loop (gzread takes at most UInt32.max bytes per call).
  private static func inflate(
    path: String, name: String, compressedSize: Int, trailer: ArraySlice<UInt8>
  ) throws -> [UInt8] {
    guard let file = gzopen(path, "rb") else {
      throw CNNError("\(name): zlib cannot open the file (errno \(errno))")
    }
    defer { gzclose(file) }
    gzbuffer(file, 1 << 17)

    // ISIZE, the last 4 bytes (little endian), is the uncompressed size modulo 2^32: a good first guess.
    var expected = 0
    if trailer.count == 4 {
      for (i, byte) in trailer.enumerated() { expected |= Int(byte) << (8 * i) }
    }
    // Inflate straight into the result, growing it if ISIZE was wrong (files over 4 GiB wrap it).
    // A damaged file can claim any ISIZE, so the first allocation is capped at 32x the file size.
    var capacity = max(min(expected, 32 * compressedSize), 1 << 16)
    var output = [UInt8]()
    var length = 0
    while true {
      if length == capacity || output.isEmpty {
        if length == capacity { capacity *= 2 }
        let grown = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
          output.withUnsafeBufferPointer { old in
            if length > 0 { buffer.baseAddress!.update(from: old.baseAddress!, count: length) }
          }
          count = capacity
        }
        output = grown
      }
      let room = min(capacity - length, 1 << 30)
      let got = output.withUnsafeMutableBufferPointer { gzread(file, $0.baseAddress! + length, UInt32(room)) }
      if got < 0 { throw CNNError("\(name): corrupt gzip data (\(zlibMessage(file)))") }
      if got == 0 { break }
      length += Int(got)
    }
    output.removeLast(output.count - length)
    // gzread returns 0 both at a clean end and at a premature one; gzerror tells them apart.
    var code: Int32 = 0
    _ = gzerror(file, &code)
    if code != Z_OK { throw CNNError("\(name): corrupt gzip data (\(zlibMessage(file)))") }
    return output
  }

  private static func zlibMessage(_ file: gzFile) -> String {
    var code: Int32 = 0
    guard let message = gzerror(file, &code) else { return "zlib error \(code)" }
    let text = String(cString: message)
    return text.isEmpty ? "zlib error \(code)" : text
  }
}
