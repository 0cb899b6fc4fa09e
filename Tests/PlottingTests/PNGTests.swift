// PNG: what we write we read back bit for bit; bad files and bad folders are one-line errors.

import Foundation
import Testing
import CNN
import CNNTestSupport
@testable import Plotting

@Suite("PNG")
struct PNGTests {
  func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
    var rng = SeededGenerator(seed: seed)
    let pixels = (0..<width * height * channels).map { _ in UInt8.random(in: 0...255, using: &rng) }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
  }

  @Test("grey and RGB images round-trip bit-identical", arguments: [1, 3])
  func roundTrip(channels: Int) throws {
    let folder = try makeTemporaryFolder("png")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let image = randomImage(width: 37, height: 23, channels: channels, seed: 7)
    let path = folder + "/round.png"
    try PNG.write(image, to: path)
    let back = try PNG.read(from: path)
    #expect(back == image)
    // Only the PNG is left: the temporary file was renamed, not copied.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["round.png"])
    // Overwriting an existing file works too.
    try PNG.write(randomImage(width: 5, height: 4, channels: channels, seed: 8), to: path)
    #expect(try PNG.read(from: path).width == 5)
  }

  @Test("a malformed or truncated PNG is refused with an error naming the file")
  func malformed() throws {
    let folder = try makeTemporaryFolder("png-bad")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/bad.png"
    try Data("this is not a png".utf8).write(to: URL(fileURLWithPath: path))
    expectCNNError(["bad.png", "not a valid PNG"]) { _ = try PNG.read(from: path) }

    try PNG.write(randomImage(width: 64, height: 64, channels: 3, seed: 1), to: path)
    let whole = try Data(contentsOf: URL(fileURLWithPath: path))
    try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
    expectCNNError(["bad.png"]) { _ = try PNG.read(from: path) }

    var corrupted = [UInt8](whole)
    for i in stride(from: 60, to: corrupted.count - 20, by: 13) { corrupted[i] ^= 0xff }
    try Data(corrupted).write(to: URL(fileURLWithPath: path))
    expectCNNError(["bad.png"]) { _ = try PNG.read(from: path) }

    expectCNNError(["missing.png", "not found"]) { _ = try PNG.read(from: folder + "/missing.png") }
  }

  @Test("writing into a folder that cannot hold files is a one-line error")
  func unwritableFolder() throws {
    let folder = try makeTemporaryFolder("png-folder")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let image = randomImage(width: 4, height: 4, channels: 1, seed: 2)
    expectCNNError(["does not exist"]) { try PNG.write(image, to: folder + "/no/such/dir/a.png") }
    // A regular file where the folder should be fails even for root.
    let file = folder + "/file"
    try Data([1]).write(to: URL(fileURLWithPath: file))
    expectCNNError(["a.png"]) { try PNG.write(image, to: file + "/a.png") }
    if getuid() != 0 {
      let locked = folder + "/locked"
      try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
      chmod(locked, 0o555)
      defer { chmod(locked, 0o755) }
      expectCNNError(["not writable"]) { try PNG.write(image, to: locked + "/a.png") }
    }
  }
}
