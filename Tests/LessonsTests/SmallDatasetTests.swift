// Every chapter on a small `--data` folder (0, 1, 5, 20 and 100 images per split): it either runs
// or stops with one line saying how many images it needs and how many it got; it never traps.
// (Before issue 8's fix, 23 of these runs crashed the process.)

import CNN
import Foundation
import Testing

@testable import Lessons

/// A folder with the four MNIST-named IDX files holding `count` images (sparse random strokes)
/// and labels cycling 0...9, in both splits.
func writeSmallDataset(count: Int) throws -> String {
  let folder = try temporaryFolder("small-\(count)")
  func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
  var generator = SeededGenerator(seed: UInt64(count))
  let pixels = (0..<count * 784).map { _ in generator.nextUniform() < 0.2 ? UInt8(generator.next() % 256) : 0 }
  for prefix in ["train", "t10k"] {
    try Data(bigEndian(0x803) + bigEndian(UInt32(count)) + bigEndian(28) + bigEndian(28) + pixels)
      .write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-images-idx3-ubyte"))
    try Data(bigEndian(0x801) + bigEndian(UInt32(count)) + (0..<count).map { UInt8($0 % 10) })
      .write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-labels-idx1-ubyte"))
  }
  return folder
}

@Suite("Chapters on small datasets", .serialized)
struct SmallDatasetTests {
  @Test("each chapter runs or refuses in one line naming both counts", arguments: [0, 1, 5, 20, 100])
  func smallDataset(count: Int) throws {
    let folder = try writeSmallDataset(count: count)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let cache = RunCache()
    for chapter in allChapters {
      let options = RunOptions(outputDirectory: folder + "/Output", isQuick: true, dataFolder: folder, isQuiet: true)
      let outcome = try #require(try LessonRunner.run([chapter], options: options, cache: cache).first)
      guard let error = outcome.summary.error else { continue }  // ran (its checks may fail on odd data)
      #expect(!error.contains("\n"), "chapter \(chapter.number), \(count) images: \(error)")
      #expect(error.contains("needs at least") && error.contains("got \(count)"),
              "chapter \(chapter.number), \(count) images: \(error)")
    }
  }
}
