// The IDX format of MNIST: a 4-byte magic (two zero bytes, a type code, the number of
// dimensions), one big-endian UInt32 per dimension, then the elements row-major.
// Every problem is one line naming the file and what is wrong; nothing is half-parsed.

import Foundation

/// One parsed IDX file of unsigned bytes (the only element type MNIST uses).
public struct IDXFile: Sendable {
  /// The file name the data came from, used in error messages.
  public let name: String
  /// The magic number, e.g. 0x00000801 for labels, 0x00000803 for images.
  public let magic: UInt32
  /// Extent of each dimension: `[count]` for labels, `[count, rows, columns]` for images.
  public let dimensions: [Int]
  /// The elements in row-major order; `bytes.count == dimensions.reduce(1, *)`.
  public let bytes: [UInt8]
}

/// Reading and validating IDX files (raw or gzipped).
public enum IDX {
  /// Magic of a label file: type 0x08 (unsigned byte), 1 dimension.
  public static let labelMagic: UInt32 = 0x0000_0801
  /// Magic of an image file: type 0x08 (unsigned byte), 3 dimensions.
  public static let imageMagic: UInt32 = 0x0000_0803

  /// Reads any unsigned-byte IDX file (magic 0x000008NN with 1 ≤ NN ≤ 4 dimensions).
  public static func read(path: String) throws -> IDXFile {
    try read(path: path, expecting: nil)
  }

  /// Reads a label file and checks its magic is 0x00000801.
  public static func readLabels(path: String) throws -> IDXFile {
    try read(path: path, expecting: (labelMagic, "label"))
  }

  /// Reads an image file and checks its magic is 0x00000803.
  public static func readImages(path: String) throws -> IDXFile {
    try read(path: path, expecting: (imageMagic, "image"))
  }

  /// Reads the header first, a piece at a time through `Gzip.Reader`, and only then the payload:
  /// exactly the size the header implies plus one byte, so a wrong magic is reported after 4 bytes
  /// and a file longer than its header says is refused without inflating the rest of it.
  /// `parse` below checks the same rules on bytes already in memory.
  static func read(path: String, expecting: (magic: UInt32, kind: String)?) throws -> IDXFile {
    let reader = try Gzip.Reader(path: path)
    let name = reader.name
    let start = try reader.read(upTo: 4)
    guard start.count == 4 else {
      throw CNNError("\(name): truncated: \(start.count) bytes, too short for an IDX header")
    }
    let magic = bigEndianUInt32(start, at: 0)
    try checkMagic(start, name: name)
    if let expecting { try expect(name: name, found: magic, magic: expecting.magic, kind: expecting.kind) }
    let rank = Int(start[3])
    let headerSize = 4 + 4 * rank
    let rest = try reader.read(upTo: 4 * rank)
    guard rest.count == 4 * rank else {
      throw CNNError("\(name): truncated: header needs \(headerSize) bytes, file holds \(4 + rest.count)")
    }
    let dimensions = (0..<rank).map { Int(bigEndianUInt32(rest, at: 4 * $0)) }
    let expectedCount = try payloadSize(dimensions, name: name)
    // A header that claims far more than the file could hold is refused before inflating anything.
    let limit = reader.isCompressed
      ? Gzip.inflationLimit(compressedSize: reader.fileSize) : reader.fileSize - headerSize
    guard expectedCount <= limit else {
      if !reader.isCompressed {
        throw CNNError("\(name): truncated: \(lengthStory(dimensions, payload: limit))")
      }
      throw CNNError(
        "\(name): header claims \(groupedDigits(expectedCount)) bytes of data, more than the "
          + "\(groupedDigits(limit)) a \(groupedDigits(reader.fileSize))-byte gzip file may expand to "
          + "(refused as a likely gzip bomb)")
    }
    let bytes = try reader.read(upTo: expectedCount + 1)
    guard bytes.count == expectedCount else {
      let story = bytes.count < expectedCount
        ? "truncated: " + lengthStory(dimensions, payload: bytes.count)
        : "too long: header says \(groupedDigits(expectedCount)) bytes of data, file holds more"
      throw CNNError("\(name): \(story)")
    }
    return IDXFile(name: name, magic: magic, dimensions: dimensions, bytes: bytes)
  }

  /// Parses IDX bytes; `name` appears in every error.
  public static func parse(_ data: consuming [UInt8], name: String) throws -> IDXFile {
    guard data.count >= 4 else {
      throw CNNError("\(name): truncated: \(data.count) bytes, too short for an IDX header")
    }
    let magic = bigEndianUInt32(data, at: 0)
    try checkMagic(data, name: name)
    let rank = Int(data[3])
    let headerSize = 4 + 4 * rank
    guard data.count >= headerSize else {
      throw CNNError("\(name): truncated: header needs \(headerSize) bytes, file holds \(data.count)")
    }
    let dimensions = (0..<rank).map { Int(bigEndianUInt32(data, at: 4 + 4 * $0)) }
    let expectedCount = try payloadSize(dimensions, name: name)
    let payload = data.count - headerSize
    guard payload == expectedCount else {
      throw CNNError("\(name): \(payload < expectedCount ? "truncated" : "too long"): \(lengthStory(dimensions, payload: payload))")
    }
    // Drop the header in place (a memmove, no second 47 MB buffer when `data` is not shared).
    var bytes = data
    bytes.removeFirst(headerSize)
    return IDXFile(name: name, magic: magic, dimensions: dimensions, bytes: bytes)
  }

  // MARK: - Helpers

  /// The first 4 bytes must be 0x00 0x00 0x08 (unsigned byte) and a rank of 1 to 4.
  private static func checkMagic(_ data: [UInt8], name: String) throws {
    guard data[0] == 0, data[1] == 0, data[2] == 0x08, (1...4).contains(data[3]) else {
      throw CNNError(
        "\(name): not an unsigned-byte IDX file: magic is \(hex(bigEndianUInt32(data, at: 0))), "
          + "expected 0x00000801 (labels) or 0x00000803 (images)")
    }
  }

  /// The product of the dimensions, or an error when it overflows.
  private static func payloadSize(_ dimensions: [Int], name: String) throws -> Int {
    // The product of the non-zero dimensions, overflow-checked: a zero count must not hide two
    // dimensions whose product overflows (every partial product below is then safe too).
    guard checkedProduct(dimensions.filter { $0 != 0 }) != nil else {
      throw CNNError("\(name): dimensions \(dimensions) are impossibly large")
    }
    return checkedProduct(dimensions) ?? 0
  }

  private static func expect(name: String, found: UInt32, magic: UInt32, kind: String) throws {
    guard found == magic else {
      throw CNNError("\(name): wrong magic \(hex(found)) for \(kind == "image" ? "an" : "a") \(kind) file, expected \(hex(magic))")
    }
  }

  /// "header says 10000 labels, file holds 9000" – in whole items where possible.
  private static func lengthStory(_ dimensions: [Int], payload: Int) -> String {
    let count = dimensions[0]
    let itemSize = checkedProduct(Array(dimensions.dropFirst())) ?? 0
    let what = dimensions.count == 1 ? "labels" : dimensions.count == 3 ? "images" : "items"
    let itemShape = dimensions.dropFirst().map(String.init).joined(separator: "x")
    let of = itemShape.isEmpty ? "" : " of \(itemShape)"
    guard itemSize > 0 else { return "header says \(count) \(what)\(of), file holds \(payload) bytes" }
    let whole = payload / itemSize, extra = payload % itemSize
    let tail = extra == 0 ? "" : " and \(extra) extra bytes"
    return "header says \(count) \(what)\(of), file holds \(whole)\(tail)"
  }

  /// The product of `values`, or nil when it overflows `Int`.
  static func checkedProduct(_ values: [Int]) -> Int? {
    var product = 1
    for value in values {
      let (next, overflow) = product.multipliedReportingOverflow(by: value)
      if overflow { return nil }
      product = next
    }
    return product
  }

  private static func bigEndianUInt32(_ data: [UInt8], at offset: Int) -> UInt32 {
    (UInt32(data[offset]) << 24) | (UInt32(data[offset + 1]) << 16)
      | (UInt32(data[offset + 2]) << 8) | UInt32(data[offset + 3])
  }

  private static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }
}
