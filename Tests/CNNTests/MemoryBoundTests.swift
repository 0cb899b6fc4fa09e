// Memory an input file controls (issue 8): gzip bombs and PNG headers that claim huge images are
// refused with one line, before the memory is spent. The bombs are built here in a temporary
// folder; the small ones that ballooned the old readers are also committed under
// Fixtures/bad-input/ (gzip-bomb-*.gz, png-bomb-*.png) and read back by the last test.
// RSS and time are measured by hand in a separate process (/usr/bin/time -v), not here.

import CZlib
import Foundation
import Testing
@testable import CNN

/// Bytes of a gzip file whose members inflate to `header` followed by `zeroMebibytes` MiB of zeros.
/// Each MiB of zeros is one ~1 KB gzip member (deflate's ratio is about 1000:1 on zeros), repeated:
/// gzip readers inflate concatenated members as one stream (RFC 1952 §2.2).
func gzipBomb(header: [UInt8], zeroMebibytes: Int, in folder: String) throws -> [UInt8] {
  let scratch = folder + "/member.gz"
  defer { try? FileManager.default.removeItem(atPath: scratch) }
  try writeGzip(header, to: scratch)
  var bytes = header.isEmpty ? [] : [UInt8](try Data(contentsOf: URL(fileURLWithPath: scratch)))
  try writeGzip([UInt8](repeating: 0, count: 1 << 20), to: scratch)
  let member = [UInt8](try Data(contentsOf: URL(fileURLWithPath: scratch)))
  for _ in 0..<zeroMebibytes { bytes += member }
  return bytes
}

/// A PNG file (signature, IHDR, one IDAT of `rows` zlib-compressed, IEND) whose header claims
/// `width`x`height` at 8 bits per sample; `colorType` 0 is grey, 2 RGB.
func pngBomb(width: UInt32, height: UInt32, colorType: UInt8, rows: [UInt8]) -> [UInt8] {
  func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
  func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
    return bigEndian(UInt32(data.count)) + body + bigEndian(crc)
  }
  var compressed = [UInt8](repeating: 0, count: rows.count + rows.count / 100 + 64)
  var length = uLongf(compressed.count)
  let status = compressed.withUnsafeMutableBufferPointer { target in
    rows.withUnsafeBufferPointer { compress2(target.baseAddress, &length, $0.baseAddress, uLong(rows.count), 9) }
  }
  precondition(status == Z_OK, "zlib compress2 failed in the test")
  let header = bigEndian(width) + bigEndian(height) + [8, colorType, 0, 0, 0]
  return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header)
    + chunk("IDAT", Array(compressed.prefix(Int(length)))) + chunk("IEND", [])
}

/// An IDX header: magic 0x000008NN, then one big-endian UInt32 per dimension.
func idxHeader(rank: UInt8, _ dimensions: [UInt32]) -> [UInt8] {
  [0, 0, 8, rank] + dimensions.flatMap { d in (0..<4).map { UInt8(truncatingIfNeeded: d >> (24 - 8 * $0)) } }
}

@Suite("Memory an input file controls")
struct MemoryBoundTests {
  /// Runs `body`, which must refuse the bomb with a one-line CNNError mentioning `fragments`, and
  /// returns the seconds it took. The old readers took 14 s (and 4 GB) on a 2 MB gzip bomb; the
  /// bound here is loose because six builds share this machine's two cores.
  func expectQuickRefusal(_ fragments: [String], _ body: () throws -> Void,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    let start = ContinuousClock.now
    expectCNNError(fragments, body, sourceLocation: sourceLocation)
    let elapsed = ContinuousClock.now - start
    #expect(elapsed < .seconds(10), "took \(elapsed)", sourceLocation: sourceLocation)
  }

  @Test("a gzip bomb with a wrong magic is refused after its first 4 bytes")
  func gzipBombWrongMagic() throws {
    let folder = try makeTemporaryFolder("bomb-magic")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/train-images-idx3-ubyte.gz"
    // 2 GiB of zeros in about 2 MB: the old reader inflated all of it before reading the magic.
    try Data(try gzipBomb(header: [], zeroMebibytes: 2048, in: folder)).write(to: URL(fileURLWithPath: path))
    expectQuickRefusal(["train-images-idx3-ubyte.gz", "not an unsigned-byte IDX file", "0x00000000"]) {
      _ = try IDX.readImages(path: path)
    }
    // Whole-file reading stops at the inflation limit instead of at 2 GiB.
    expectQuickRefusal(["train-images-idx3-ubyte.gz", "gzip bomb"]) { _ = try Gzip.readFile(path) }
  }

  @Test("a valid header followed by a gzip bomb is 'too long' after the size the header implies")
  func gzipBombTooLong() throws {
    let folder = try makeTemporaryFolder("bomb-long")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/train-labels-idx1-ubyte.gz"
    let bytes = try gzipBomb(header: idxHeader(rank: 1, [10]) + [UInt8](repeating: 3, count: 10),
                             zeroMebibytes: 1024, in: folder)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    expectQuickRefusal(["train-labels-idx1-ubyte.gz", "too long", "10 bytes"]) { _ = try IDX.readLabels(path: path) }
  }

  @Test("a header claiming more than the gzip file may expand to is refused before inflating")
  func gzipBombClaimsHuge() throws {
    let folder = try makeTemporaryFolder("bomb-huge")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/train-images-idx3-ubyte.gz"
    // 1,000,000 images of 28x28 = 784 MB claimed, 1 GiB really there, file about 1 MB.
    let bytes = try gzipBomb(header: idxHeader(rank: 3, [1_000_000, 28, 28]), zeroMebibytes: 1024, in: folder)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(bytes.count < 3 << 20)
    expectQuickRefusal(["train-images-idx3-ubyte.gz", "784,000,000 bytes", "gzip bomb"]) {
      _ = try IDX.readImages(path: path)
    }
    // A raw file is held to its own size: a header claiming more is truncated, without reading on.
    let raw = folder + "/raw-idx3-ubyte"
    try Data(idxHeader(rank: 3, [1_000_000, 28, 28]) + [UInt8](repeating: 0, count: 784)).write(to: URL(fileURLWithPath: raw))
    expectQuickRefusal(["raw-idx3-ubyte", "truncated", "header says 1000000 images of 28x28, file holds 1"]) {
      _ = try IDX.readImages(path: raw)
    }
  }

  @Test("a real dataset still loads: expansion within the limit")
  func legitimateGzipLoads() throws {
    let folder = try makeTemporaryFolder("bomb-ok")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/t10k-labels-idx1-ubyte.gz"
    // 20,000 zero labels compress about 1000:1, far past 20x, but stay under the 16 MiB floor.
    let payload = idxHeader(rank: 1, [20_000]) + [UInt8](repeating: 0, count: 20_000)
    try writeGzip(payload, to: path)
    #expect(try IDX.readLabels(path: path).bytes.count == 20_000)
    #expect(try Gzip.readFile(path) == payload)
  }

  @Test("a PNG header claiming a huge image is refused before allocating it")
  func pngBombs() throws {
    let folder = try makeTemporaryFolder("bomb-png")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let cases: [(name: String, width: UInt32, height: UInt32, colorType: UInt8, says: String)] = [
      // The file: 25 KB claiming 1,000,000x268 RGB reached 788 MB.
      ("wide.png", 1_000_000, 268, 2, "too large"),
      // Within each side's limit, but 16384x16384 RGB is 768 MiB of pixels.
      ("square.png", 16_384, 16_384, 2, "too large"),
      // Small enough to allocate (64 MB), but no 1 KB file can hold 8000x8000 pixels.
      ("implausible.png", 8_000, 8_000, 0, "more than a"),
    ]
    for item in cases {
      let path = folder + "/" + item.name
      let rows = [UInt8](repeating: 0, count: 25_000)
      try Data(pngBomb(width: item.width, height: item.height, colorType: item.colorType, rows: rows))
        .write(to: URL(fileURLWithPath: path))
      expectQuickRefusal([item.name, item.says]) { _ = try PNG.read(from: path) }
    }
  }

  @Test("the committed bad-input corpus of bombs is refused, each in one line")
  func committedCorpus() throws {
    let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).path + "/bad-input"
    let expectations: [(file: String, says: String)] = [
      ("gzip-bomb-wrong-magic.gz", "not an unsigned-byte IDX file"),
      ("gzip-bomb-too-long.gz", "too long"),
      ("gzip-bomb-claims-784MB.gz", "gzip bomb"),
    ]
    for item in expectations {
      expectQuickRefusal([item.file, item.says]) { _ = try IDX.read(path: folder + "/" + item.file) }
    }
    expectQuickRefusal(["png-bomb-1000000x268.png", "too large"]) {
      _ = try PNG.read(from: folder + "/png-bomb-1000000x268.png")
    }
    expectQuickRefusal(["png-bomb-8000x8000.png", "more than a"]) {
      _ = try PNG.read(from: folder + "/png-bomb-8000x8000.png")
    }
  }
}
