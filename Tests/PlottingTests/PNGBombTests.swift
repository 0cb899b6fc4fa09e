// Memory a PNG file controls (issue 8): a header claiming a huge image is refused with one line
// before libpng decodes anything or the pixels are allocated. The bombs are built here in a
// temporary folder; two small ones are committed in Tests/CNNTests/Fixtures/bad-input/
// (png-bomb-*.png). RSS and time are measured by hand in a separate process, not here.

import CNN
import CNNTestSupport
import CZlib
import Foundation
import Testing
@testable import Plotting

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

@Suite("Memory a PNG file controls")
struct PNGBombTests {
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

  @Test("the committed PNG bombs are refused, each in one line")
  func committedCorpus() {
    // The corpus lives with the other bad inputs in CNNTests' fixtures; found from this file.
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../CNNTests/Fixtures/bad-input").standardized.path
    expectQuickRefusal(["png-bomb-1000000x268.png", "too large"]) {
      _ = try PNG.read(from: folder + "/png-bomb-1000000x268.png")
    }
    expectQuickRefusal(["png-bomb-8000x8000.png", "more than a"]) {
      _ = try PNG.read(from: folder + "/png-bomb-8000x8000.png")
    }
  }
}
