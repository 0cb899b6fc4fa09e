// Checkpoints: every parameter and buffer of a model in one little-endian binary file, checked by
// magic, version, names, shapes, lengths and a CRC-32 before a single value is written back.

import CZlib
import Foundation

/// Saves and loads a model's parameters and buffers (running statistics).
///
/// Format version 2, all integers little-endian UInt32:
///
///     "CNNCKPT1"                                  8 bytes of magic
///     version = 2, metadataCount
///     metadataCount × { keyLength, key (UTF-8), valueLength, value (UTF-8) }    (keys sorted)
///     entryCount
///     entryCount × { nameLength, name (UTF-8), rank, rank × dimension, count × Float32 }
///     CRC-32 (zlib) of every byte before it
///
/// Entries come in the model's order: `parameters` then `buffers`. The metadata says where the
/// weights came from (architecture, seed, recipe), so a later chapter can decide from the file
/// alone whether it may reuse it (`Checkpoint.header(at:)`). Version 1 files (no metadata block)
/// are still read, with empty metadata.
public enum Checkpoint {
  static let magic = Array("CNNCKPT1".utf8)
  static let version: UInt32 = 2

  /// Writes `model` to `path`, through a temporary file renamed into place, so a crash mid-write
  /// never leaves a half-written checkpoint under the real name.
  /// Refuses (throws) a model holding NaN or infinite values: such weights only ever produce NaN.
  /// `metadata` goes into the header (see `header(at:)`).
  public static func save(_ model: Layer, to path: String, metadata: [String: String] = [:]) throws {
    if let bad = (model.parameters + model.buffers).first(where: { !$0.value.isFinite }) {
      throw CNNError("cannot save checkpoint \(path): '\(bad.name)' holds NaN or infinite values (training diverged?)")
    }
    var bytes = magic
    append(version, to: &bytes)
    append(UInt32(metadata.count), to: &bytes)
    for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
      for text in [key, value] {
        let utf8 = Array(text.utf8)
        append(UInt32(utf8.count), to: &bytes)
        bytes += utf8
      }
    }
    let entries = model.parameters + model.buffers
    append(UInt32(entries.count), to: &bytes)
    for entry in entries {
      let name = Array(entry.name.utf8)
      append(UInt32(name.count), to: &bytes)
      bytes += name
      append(UInt32(entry.value.rank), to: &bytes)
      for dimension in entry.value.shape { append(UInt32(dimension), to: &bytes) }
      for value in entry.value.scalars { append(value.bitPattern, to: &bytes) }
    }
    append(checksum(bytes[...]), to: &bytes)

    do {
      try AtomicFile.write(Data(bytes), to: path)
    } catch {
      throw CNNError("cannot write checkpoint \(path): \(writeProblem(at: path))")
    }
  }

  /// Reads `path` into `model`, or throws a one-line `CNNError` and leaves the model untouched.
  ///
  /// Everything is validated first: magic, version, the structure against the file length, the
  /// checksum, and every entry's name and shape against the model. Only then are values copied.
  public static func load(into model: Layer, from path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CNNError("cannot read checkpoint \(path): no such file or not readable")
    }
    let entries = try decode([UInt8](data), path: path).entries
    let targets = model.parameters + model.buffers
    guard entries.count == targets.count else {
      throw CNNError("checkpoint \(path) holds \(entries.count) tensors but the model has \(targets.count)")
    }
    for (entry, target) in zip(entries, targets) {
      guard entry.name == target.name else {
        throw CNNError("checkpoint \(path): found '\(entry.name)' where the model has '\(target.name)'")
      }
      guard entry.shape == target.value.shape else {
        throw CNNError("checkpoint \(path): '\(entry.name)' has shape \(entry.shape) but the model expects \(target.value.shape)")
      }
      guard entry.scalars.allSatisfy(\.isFinite) else {
        throw CNNError("checkpoint \(path): '\(entry.name)' holds NaN or infinite values; refusing to load it")
      }
    }
    for (entry, target) in zip(entries, targets) {
      target.value = Tensor(shape: entry.shape, scalars: entry.scalars)
    }
  }

  /// What a checkpoint says about itself, read without touching any model.
  public struct Header: Sendable, Equatable {
    /// Key–value pairs written by `save(_:to:metadata:)`; empty for version 1 files.
    public let metadata: [String: String]
    /// Every tensor's name and shape, in file order.
    public let tensors: [Tensor]

    public struct Tensor: Sendable, Equatable {
      public let name: String
      public let shape: [Int]
      public init(name: String, shape: [Int]) { (self.name, self.shape) = (name, shape) }
    }
  }

  /// The header of the checkpoint at `path`, after validating the whole file (structure and
  /// checksum): a one-line `CNNError` when it is missing, truncated or corrupt.
  public static func header(at path: String) throws -> Header {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CNNError("cannot read checkpoint \(path): no such file or not readable")
    }
    let decoded = try decode([UInt8](data), path: path)
    return Header(metadata: decoded.metadata,
                  tensors: decoded.entries.map { Header.Tensor(name: $0.name, shape: $0.shape) })
  }

  /// One decoded entry.
  struct Entry {
    let name: String
    let shape: [Int]
    let scalars: [Float]
  }

  /// Parses and validates a whole file image; throws before returning anything partial.
  static func decode(_ bytes: [UInt8], path: String) throws -> (metadata: [String: String], entries: [Entry]) {
    var reader = Reader(bytes: bytes, path: path)
    guard bytes.count >= magic.count || !magic.starts(with: bytes) else {
      throw CNNError("checkpoint \(path) is truncated: only \(bytes.count) bytes")
    }
    guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
      throw CNNError("\(path) is not a cnn-lessons checkpoint (wrong magic number)")
    }
    reader.position = magic.count
    let fileVersion = try reader.uint32("the format version")
    guard fileVersion == 1 || fileVersion == version else {
      throw CNNError("checkpoint \(path) has format version \(fileVersion), this program reads versions 1 and \(version)")
    }
    var metadata: [String: String] = [:]
    if fileVersion >= 2 {
      let pairs = Int(try reader.uint32("the metadata count"))
      for index in 0..<pairs {
        var texts: [String] = []
        for part in ["key", "value"] {
          let length = Int(try reader.uint32("the \(part) length of metadata entry \(index)"))
          let utf8 = try reader.bytes(length, "the \(part) of metadata entry \(index)")
          guard let text = String(validating: utf8, as: UTF8.self) else {
            throw CNNError("checkpoint \(path) is corrupt: metadata entry \(index) has an invalid \(part)")
          }
          texts.append(text)
        }
        metadata[texts[0]] = texts[1]
      }
    }
    let count = Int(try reader.uint32("the entry count"))
    var entries: [Entry] = []
    for index in 0..<count {
      let nameLength = Int(try reader.uint32("the name length of entry \(index)"))
      let nameBytes = try reader.bytes(nameLength, "the name of entry \(index)")
      guard let name = String(validating: nameBytes, as: UTF8.self) else {
        throw CNNError("checkpoint \(path) is corrupt: entry \(index) has an invalid name")
      }
      let rank = Int(try reader.uint32("the rank of '\(name)'"))
      guard rank <= 8 else { throw CNNError("checkpoint \(path) is corrupt: '\(name)' claims rank \(rank)") }
      var shape: [Int] = []
      for _ in 0..<rank { shape.append(Int(try reader.uint32("the shape of '\(name)'"))) }
      // A corrupt shape must not overflow the multiplication: refuse products beyond the file.
      var elementCount = 1
      for dimension in shape {
        let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
        guard !overflow, product <= bytes.count else {
          throw CNNError("checkpoint \(path) is corrupt or truncated: '\(name)' claims shape \(shape)")
        }
        elementCount = product
      }
      let raw = try reader.bytes(elementCount * 4, "the values of '\(name)'")
      var scalars = [Float](repeating: 0, count: elementCount)
      for i in 0..<elementCount {
        let b = raw.startIndex + 4 * i
        let word = UInt32(raw[b]) | UInt32(raw[b + 1]) << 8 | UInt32(raw[b + 2]) << 16 | UInt32(raw[b + 3]) << 24
        scalars[i] = Float(bitPattern: word)
      }
      entries.append(Entry(name: name, shape: shape, scalars: scalars))
    }
    let payloadEnd = reader.position
    let stored = try reader.uint32("the checksum")
    guard reader.position == bytes.count else {
      throw CNNError("checkpoint \(path) is corrupt: \(bytes.count - reader.position) unexpected bytes after the checksum")
    }
    guard stored == checksum(bytes[0..<payloadEnd]) else {
      throw CNNError("checkpoint \(path) is corrupt: checksum mismatch")
    }
    return (metadata, entries)
  }

  /// Reads little-endian fields with a bounds check on every read.
  struct Reader {
    let bytes: [UInt8]
    let path: String
    var position = 0

    mutating func bytes(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
      guard count >= 0, count <= bytes.count - position else {
        throw CNNError("checkpoint \(path) is truncated: it ends (at \(bytes.count) bytes) inside \(what)")
      }
      defer { position += count }
      return bytes[position..<position + count]
    }

    mutating func uint32(_ what: String) throws -> UInt32 {
      let b = try bytes(4, what)
      let i = b.startIndex
      return UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
  }

  static func append(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
  }

  /// zlib's CRC-32 of `bytes`.
  static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.withUnsafeBufferPointer { buffer in
      UInt32(crc32(0, buffer.baseAddress, uInt(buffer.count)))
    }
  }
}
