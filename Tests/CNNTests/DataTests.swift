// Data loading: the bundled MNIST is complete and sane, and every kind of bad file is refused
// with a one-line error that names the file.

import CZlib
import Foundation
import Testing
@testable import CNN
import CNNTestSupport

/// Bytes of an IDX file with the given magic, dimensions and payload.
func idxBytes(magic: UInt32, dimensions: [Int], payload: [UInt8]) -> [UInt8] {
  func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
  return bigEndian(magic) + dimensions.flatMap { bigEndian(UInt32($0)) } + payload
}

/// Writes `bytes` gzip-compressed through zlib.
func writeGzip(_ bytes: [UInt8], to path: String) throws {
  guard let file = gzopen(path, "wb") else { throw CNNError("cannot create \(path)") }
  let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
  gzclose(file)
  #expect(Int(written) == bytes.count)
}

/// Writes a tiny MNIST-named dataset (n images of 28x28 and m labels) into `folder`.
func writeTinyMNIST(
  folder: String, images: Int, labels: Int, gzip: Bool, labelValue: UInt8 = 3
) throws {
  let imageData = idxBytes(magic: 0x803, dimensions: [images, 28, 28],
                           payload: (0..<images * 784).map { UInt8($0 % 256) })
  let labelData = idxBytes(magic: 0x801, dimensions: [labels], payload: [UInt8](repeating: labelValue, count: labels))
  for (base, data) in [("train-images-idx3-ubyte", imageData), ("train-labels-idx1-ubyte", labelData)] {
    let path = folder + "/" + base
    if gzip { try writeGzip(data, to: path + ".gz") } else { try Data(data).write(to: URL(fileURLWithPath: path)) }
  }
}

@Suite("Data loading")
struct DataTests {
  @Test("bundled MNIST: 60,000 train and 10,000 test images, labels 0...9, first train label 5")
  func bundledMNIST() throws {
    let train = try Dataset.load(.bundledMNIST, split: .train)
    #expect(train.images.shape == [60_000, 1, 28, 28])
    #expect(train.labels.count == 60_000)
    #expect(train.labels.first == 5)
    #expect(Set(train.labels) == Set(0...9))
    #expect(train.images.min() == 0 && train.images.max() == 1)
    let test = try Dataset.load(.bundledMNIST, split: .test)
    #expect(test.images.shape == [10_000, 1, 28, 28])
    #expect(test.labels.first == 7)
    #expect(Set(test.labels) == Set(0...9))
    #expect(test.classNames == (0...9).map(String.init))
  }

  @Test("limit keeps the first n images, subset picks images in order")
  func limitAndSubset() throws {
    let full = try Dataset.load(.bundledMNIST, split: .test)
    let small = try Dataset.load(.bundledMNIST, split: .test, limit: 100)
    #expect(small.images.shape == [100, 1, 28, 28])
    #expect(small.labels == Array(full.labels.prefix(100)))
    #expect(small.images.scalars == Array(full.images.scalars.prefix(100 * 784)))
    let picked = try full.subset([9, 2, 9])
    #expect(picked.labels == [full.labels[9], full.labels[2], full.labels[9]])
    #expect(picked.image(1) == full.image(2))
    #expect(try full.subset(10..<13).labels == Array(full.labels[10..<13]))
    #expect(full.rawPixels(0).max() == 255)
    #expect(full.rawPixels(0).map { Float($0) / 255 } == full.image(0).scalars)
  }

  @Test("a folder of raw and of gzipped IDX files loads the same")
  func folderRawAndGzip() throws {
    for gzip in [false, true] {
      let folder = try makeTemporaryFolder("tiny")
      defer { try? FileManager.default.removeItem(atPath: folder) }
      try writeTinyMNIST(folder: folder, images: 3, labels: 3, gzip: gzip)
      let data = try Dataset.load(.folder(folder), split: .train)
      #expect(data.images.shape == [3, 1, 28, 28])
      #expect(data.labels == [3, 3, 3])
      #expect(data.rawPixels(1)[0] == UInt8(784 % 256))
    }
  }

  @Test("IDX with a wrong magic is refused, naming the file")
  func wrongMagic() throws {
    let folder = try makeTemporaryFolder("magic")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try writeTinyMNIST(folder: folder, images: 2, labels: 2, gzip: false)
    // A label file where an image file belongs: valid IDX, wrong kind.
    let path = folder + "/train-images-idx3-ubyte"
    try Data(idxBytes(magic: 0x801, dimensions: [2], payload: [1, 2])).write(to: URL(fileURLWithPath: path))
    expectCNNError(["train-images-idx3-ubyte", "magic", "for an image file", "0x00000803"]) {
      _ = try Dataset.load(.folder(folder), split: .train)
    }
    // Not IDX at all.
    try Data("hello world".utf8).write(to: URL(fileURLWithPath: path))
    expectCNNError(["train-images-idx3-ubyte", "magic"]) { _ = try IDX.read(path: path) }
  }

  @Test("a truncated IDX file says how many items the header promised and how many are there")
  func truncated() throws {
    let folder = try makeTemporaryFolder("truncated")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/t10k-labels-idx1-ubyte.gz"
    try writeGzip(idxBytes(magic: 0x801, dimensions: [10_000], payload: [UInt8](repeating: 1, count: 9_000)), to: path)
    expectCNNError(["t10k-labels-idx1-ubyte.gz: truncated: header says 10000 labels, file holds 9000"]) {
      _ = try IDX.readLabels(path: path)
    }
    let images = folder + "/img"
    try Data(idxBytes(magic: 0x803, dimensions: [2, 28, 28], payload: [UInt8](repeating: 0, count: 784 + 10)))
      .write(to: URL(fileURLWithPath: images))
    expectCNNError(["img: truncated", "2 images of 28x28", "holds 1 and 10 extra bytes"]) { _ = try IDX.readImages(path: images) }
    try Data([0, 0, 8]).write(to: URL(fileURLWithPath: images))
    expectCNNError(["img: truncated"]) { _ = try IDX.read(path: images) }
  }

  @Test("image count different from label count is refused")
  func countMismatch() throws {
    let folder = try makeTemporaryFolder("mismatch")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try writeTinyMNIST(folder: folder, images: 3, labels: 2, gzip: true)
    expectCNNError(["train-images-idx3-ubyte.gz", "3 images", "train-labels-idx1-ubyte.gz", "2 labels"]) {
      _ = try Dataset.load(.folder(folder), split: .train)
    }
  }

  @Test("labels outside 0...9 and images that are not 28x28 are refused")
  func badLabelsAndSize() throws {
    let folder = try makeTemporaryFolder("labels")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try writeTinyMNIST(folder: folder, images: 2, labels: 2, gzip: false, labelValue: 12)
    expectCNNError(["train-labels-idx1-ubyte", "label 12"]) { _ = try Dataset.load(.folder(folder), split: .train) }
    try Data(idxBytes(magic: 0x803, dimensions: [1, 2, 2], payload: [1, 2, 3, 4]))
      .write(to: URL(fileURLWithPath: folder + "/train-images-idx3-ubyte"))
    expectCNNError(["train-images-idx3-ubyte", "2x2", "28x28"]) { _ = try Dataset.load(.folder(folder), split: .train) }
  }

  @Test("a corrupt or cut-off gzip file is an error, not garbage")
  func corruptGzip() throws {
    let folder = try makeTemporaryFolder("gz")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/train-labels-idx1-ubyte.gz"
    let payload = idxBytes(magic: 0x801, dimensions: [5000], payload: (0..<5000).map { UInt8($0 * 7 % 10) })
    try writeGzip(payload, to: path)
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(try Gzip.readFile(path) == payload)
    // Flip bits in the middle of the deflate stream.
    for i in stride(from: 20, to: bytes.count - 8, by: 7) { bytes[i] ^= 0x5a }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    expectCNNError(["train-labels-idx1-ubyte.gz", "corrupt gzip"]) { _ = try IDX.read(path: path) }
    // A trailer claiming a 4 GB size (ISIZE) is caught by zlib's length check, without a 4 GB buffer.
    try writeGzip(payload, to: path)
    var lying = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    for i in lying.count - 4..<lying.count { lying[i] = 0xff }
    try Data(lying).write(to: URL(fileURLWithPath: path))
    expectCNNError(["train-labels-idx1-ubyte.gz", "corrupt gzip"]) { _ = try IDX.read(path: path) }
    // Cut off halfway.
    try writeGzip(payload, to: path)
    let whole = try Data(contentsOf: URL(fileURLWithPath: path))
    try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
    expectCNNError(["train-labels-idx1-ubyte.gz", "corrupt gzip"]) { _ = try IDX.read(path: path) }
  }

  @Test("a missing file or folder names what is missing")
  func missingFiles() throws {
    let folder = try makeTemporaryFolder("missing")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    expectCNNError(["train-images-idx3-ubyte", "not found", folder]) { _ = try Dataset.load(.folder(folder), split: .train) }
    expectCNNError(["nowhere", "does not exist"]) { _ = try Dataset.load(.folder(folder + "/nowhere"), split: .test) }
    expectCNNError(["x.gz", "not found"]) { _ = try IDX.read(path: folder + "/x.gz") }
    expectCNNError(["limit"]) { _ = try Dataset.load(.folder(folder), split: .train, limit: -1) }
  }

  @Test("Fashion-MNIST loads with its class names, or says how to install it")
  func fashionMNIST() throws {
    if FileManager.default.fileExists(atPath: DataSource.fashionMNISTFolder) {
      let test = try Dataset.load(.fashionMNIST, split: .test, limit: 10)
      #expect(test.classNames[9] == "Ankle boot")
      #expect(test.count == 10)
    } else {
      expectCNNError(["sudo apt-get install dataset-fashion-mnist"]) { _ = try Dataset.load(.fashionMNIST, split: .test) }
    }
  }
}
