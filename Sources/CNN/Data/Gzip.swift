// Reads files raw or gzip-compressed (.gz) through zlib, a piece at a time.
// Foundation on Linux cannot inflate, so this calls zlib's gzopen/gzread directly; a damaged
// archive is reported as an error instead of being returned as garbage bytes.
//
// Memory is bounded by what the caller asks for, never by what the file decides: a reader inflates
// only the bytes requested, so the IDX reader reads its 4-byte magic first, then the dimensions,
// then exactly the payload the header implies plus one byte (to tell "too long"). A 1 MB gzip bomb
// that inflates to gigabytes is refused after a few bytes, not after filling memory.

import CZlib
import Foundation

/// Reading raw or gzip-compressed files.
public enum Gzip {
  /// The two bytes every gzip member starts with (RFC 1952 §2.3.1: ID1 = 0x1f, ID2 = 0x8b).
  static let magic: [UInt8] = [0x1f, 0x8b]

  /// The most a compressed file may expand by before it is treated as a bomb: 20x its own size,
  /// but always at least 16 MiB (so tiny test files of zeros still load). Real datasets expand
  /// far less: MNIST's image files 4.7x, Fashion-MNIST's 1.8x; deflate itself can reach 1032x.
  public static func inflationLimit(compressedSize: Int) -> Int {
    max(16 << 20, 20 * compressedSize)
  }

  /// Returns the whole contents of `path`, decompressed if it is gzip.
  ///
  /// Errors name the file: missing, unreadable, a corrupt/truncated gzip stream, or a stream that
  /// expands beyond `inflationLimit(compressedSize:)` (read stops there, nothing more is kept).
  public static func readFile(_ path: String) throws -> [UInt8] {
    let reader = try Reader(path: path)
    let limit = reader.isCompressed ? inflationLimit(compressedSize: reader.fileSize) : reader.fileSize
    let bytes = try reader.read(upTo: limit + 1)
    guard bytes.count <= limit else {
      throw CNNError(
        "\(reader.name): inflates to more than \(groupedDigits(limit)) bytes from "
          + "\(groupedDigits(reader.fileSize)) compressed; refusing it as a likely gzip bomb")
    }
    try reader.finishCleanly()
    return bytes
  }

  /// A file opened for sequential reading: gzip is inflated on the fly, anything else is read as is.
  public final class Reader {
    /// The file name, for error messages.
    public let name: String
    /// The size of the file on disk (compressed, for a .gz).
    public let fileSize: Int
    /// Whether the file starts with the gzip magic bytes.
    public let isCompressed: Bool
    private let file: gzFile
    /// Bytes handed out so far (after decompression).
    public private(set) var position = 0

    /// Opens `path`; errors name the file: missing, a folder, or unreadable.
    public init(path: String) throws {
      name = (path as NSString).lastPathComponent
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CNNError("\(name): file not found at \(path)")
      }
      guard !isDirectory.boolValue else { throw CNNError("\(name): is a folder, expected a file (\(path))") }
      guard let handle = FileHandle(forReadingAtPath: path) else {
        throw CNNError("\(name): cannot be read (permission denied?) at \(path)")
      }
      let head = [UInt8](handle.readData(ofLength: 2))
      let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
      try? handle.close()
      fileSize = size
      isCompressed = head == Gzip.magic
      // gzopen also reads a file that is not gzip, byte for byte ("transparent" mode).
      guard let opened = gzopen(path, "rb") else {
        throw CNNError("\(name): zlib cannot open the file (errno \(errno))")
      }
      file = opened
      gzbuffer(file, 1 << 17)
    }

    deinit { gzclose(file) }

    /// Reads up to `count` more bytes; fewer only when the data ends. A corrupt gzip stream throws.
    /// The capacity is reserved up front (up to 256 MiB) so the result is not copied as it grows;
    /// reserved pages that no data reaches are never touched, so they cost address space, not RSS.
    public func read(upTo count: Int) throws -> [UInt8] {
      var output: [UInt8] = []
      output.reserveCapacity(min(count, 256 << 20))
      var chunk = [UInt8](repeating: 0, count: min(count, 1 << 20))
      while output.count < count {
        let want = min(count - output.count, chunk.count)
        let got = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress!, UInt32(want)) }
        if got < 0 { throw CNNError("\(name): corrupt gzip data (\(message()))") }
        if got == 0 { break }
        output.append(contentsOf: chunk[0..<Int(got)])
      }
      position += output.count
      // gzread returns short both at a clean end and at a premature one; gzerror tells them apart.
      if output.count < count { try finishCleanly() }
      return output
    }

    /// Throws when zlib saw an error (a truncated stream, a bad CRC or length check).
    func finishCleanly() throws {
      var code: Int32 = 0
      _ = gzerror(file, &code)
      if code != Z_OK { throw CNNError("\(name): corrupt gzip data (\(message()))") }
    }

    private func message() -> String {
      var code: Int32 = 0
      guard let text = gzerror(file, &code).map({ String(cString: $0) }), !text.isEmpty else {
        return "zlib error \(code)"
      }
      return text
    }
  }
}

/// 784000000 → "784,000,000", for byte counts in error messages.
func groupedDigits(_ value: Int) -> String {
  let digits = String(value.magnitude)
  var result = ""
  for (i, digit) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
    result.append(digit)
  }
  return (value < 0 ? "-" : "") + result
}
