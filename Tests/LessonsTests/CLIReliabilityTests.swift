// Learner-reachable errors through the release binary: the sentence reaches standard error, the
// exit status is non-zero, and the process ends normally (no crash signal, no backtrace).

import Foundation
import Testing

/// A folder with the four MNIST-named files: `count` valid images and labels, optionally with the
/// training images replaced by `trainImages`.
private func dataFolder(count: Int, trainImages: [UInt8]? = nil) throws -> String {
  let folder = NSTemporaryDirectory() + "cnn-cli-rel-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
  let images = bigEndian(0x803) + bigEndian(UInt32(count)) + bigEndian(28) + bigEndian(28)
    + (0..<count * 784).map { UInt8(($0 * 7) % 256) }
  let labels = bigEndian(0x801) + bigEndian(UInt32(count)) + (0..<count).map { UInt8($0 % 10) }
  for prefix in ["train", "t10k"] {
    let imageBytes = prefix == "train" ? trainImages ?? images : images
    try Data(imageBytes).write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-images-idx3-ubyte"))
    try Data(labels).write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-labels-idx1-ubyte"))
  }
  return folder
}

@Suite("cnn-lessons release binary: learner-reachable errors")
struct CLIReliabilityTests {
  @Test("the 17-byte IDX header whose sizes overflow is refused in one line (it used to trap)")
  func overflowingIDX() throws {
    // Magic 0x00000803, count 0, two dimensions 0xFFFFFFFF, one stray byte (the issue 8 file).
    let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 7]
    let folder = try dataFolder(count: 2, trainImages: header)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let run = try execute(["run", "1", "--quick", "--data", folder, "--output", folder + "/Output"])
    #expect(run.exitedNormally && run.status != 0, "status \(run.status): \(run.stderr)")
    #expect(run.stderr.contains("impossibly large"), "stderr: \(run.stderr)")
    #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"))
  }

  @Test("--seed -5 says seeds are non-negative integers")
  func negativeSeed() throws {
    let run = try execute(["run", "1", "--quick", "--seed", "-5", "--output", NSTemporaryDirectory() + "cnn-cli-\(UUID().uuidString)"])
    expectOneLineError(run, mentioning: "--seed must be a non-negative integer")
    #expect(run.stderr.contains("'-5'"))
  }

  @Test("a dataset too small for a chapter is refused in one line naming both counts")
  func tooSmallDataset() throws {
    let folder = try dataFolder(count: 0)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let run = try execute(["run", "8", "--quick", "--data", folder, "--output", folder + "/Output"])
    #expect(run.exitedNormally && run.status != 0, "status \(run.status): \(run.stderr)")
    let errors = run.stderrLines.filter { $0.hasPrefix("Error: ") }
    #expect(errors.count == 1, "stderr: \(run.stderr)")
    #expect(errors.first?.contains("needs at least") == true && errors.first?.contains("got 0") == true, "stderr: \(run.stderr)")
  }
}
