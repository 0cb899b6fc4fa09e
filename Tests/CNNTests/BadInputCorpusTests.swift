// The committed bad-input corpus (Fixtures/bad-input): files that once crashed a reader. Each must
// now be refused with one line naming the file, by the reader and by the dataset loader.

import Foundation
import Testing
@testable import CNN
import CNNTestSupport

/// The corpus files with the given extension.
private func corpus(_ pathExtension: String) throws -> [URL] {
  guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appendingPathComponent("bad-input") else {
    throw CNNError("the Fixtures folder is missing from the CNNTests bundle")
  }
  return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
    .filter { $0.pathExtension == pathExtension }.sorted { $0.lastPathComponent < $1.lastPathComponent }
}

@Test("every IDX file of the bad-input corpus is refused with one line naming it")
func badIDXCorpus() throws {
  let files = try corpus("idx")
  #expect(files.count >= 3)
  for file in files {
    expectCNNError([file.lastPathComponent]) { _ = try IDX.read(path: file.path) }
  }
  let overflow = try #require(files.first { $0.lastPathComponent == "idx3-count0-dims-ffffffff.idx" })
  #expect(try Data(contentsOf: overflow).count == 17)
  expectCNNError(["impossibly large"]) { _ = try IDX.read(path: overflow.path) }
}

@Test("the overflowing IDX header is refused by the dataset loader too")
func badIDXThroughDataset() throws {
  let folder = try makeTemporaryFolder("bad-idx")
  defer { try? FileManager.default.removeItem(atPath: folder) }
  let overflow = try #require(try corpus("idx").first { $0.lastPathComponent == "idx3-count0-dims-ffffffff.idx" })
  try FileManager.default.copyItem(atPath: overflow.path, toPath: folder + "/train-images-idx3-ubyte")
  try Data(idxBytes(magic: 0x801, dimensions: [0], payload: []))
    .write(to: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte"))
  expectCNNError(["train-images-idx3-ubyte", "impossibly large"]) {
    _ = try Dataset.load(imagesPath: folder + "/train-images-idx3-ubyte", labelsPath: folder + "/train-labels-idx1-ubyte")
  }
}
