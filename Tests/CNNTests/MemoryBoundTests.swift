// Memory an input file controls (issue 8): gzip bombs are refused with one line, before the
// memory is spent (PNG headers claiming huge images: PlottingTests/PNGBombTests.swift). The bombs
// are built here in a temporary folder; small ones that ballooned the old reader are also
// committed under Fixtures/bad-input/ (gzip-bomb-*.gz) and read back by the last test.
// RSS and time are measured by hand in a separate process (/usr/bin/time -v), not here.

import CNNTestSupport
import CZlib
import Foundation
import Testing
@testable import CNN
import CNNTestSupport

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

/// An IDX header: magic 0x000008NN, then one big-endian UInt32 per dimension.
func idxHeader(rank: UInt8, _ dimensions: [UInt32]) -> [UInt8] {
  [0, 0, 8, rank] + dimensions.flatMap { d in (0..<4).map { UInt8(truncatingIfNeeded: d >> (24 - 8 * $0)) } }
}

@Suite("Memory an input file controls")
struct MemoryBoundTests {
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
  }
}
