// A labelled set of 28x28 grey images (MNIST or Fashion-MNIST) as one NCHW tensor, and where
// to load it from: the MNIST bundled in this package, any folder of IDX files, or Debian's
// Fashion-MNIST package. Loading validates everything the IDX header promises.

import Foundation

/// Images and their labels, ready for a network.
///
///     images: (N, 1, 28, 28), pixel / 255 so every value is in [0, 1]
///     labels: N class indices in 0..<classNames.count
public struct Dataset: Sendable {
  /// Which half of a dataset to load.
  public enum Split: String, Sendable, CaseIterable {
    case train, test
    /// The MNIST file-name prefix: "train" or "t10k".
    var filePrefix: String { self == .train ? "train" : "t10k" }
  }

  /// (N, 1, 28, 28), pixel values divided by 255.
  public var images: Tensor
  /// The class of each image, in 0...9.
  public var labels: [Int]
  /// A human-readable name, e.g. "MNIST train" or "Fashion-MNIST test".
  public var name: String
  /// One name per class: "0"..."9" for digits, "T-shirt/top"... for Fashion-MNIST.
  public var classNames: [String]

  /// A dataset from tensors already in memory (e.g. a synthetic set in a lesson).
  ///
  /// Throws a `CNNError` when the shapes do not fit, a label is outside the classes, or a pixel is
  /// NaN or infinite (it would poison every layer it reaches, and the loss with it).
  public init(images: Tensor, labels: [Int], name: String, classNames: [String]) throws {
    guard images.rank == 4 && images.shape[0] == labels.count else {
      throw CNNError("Dataset \(name): needs images (N, C, H, W) and N labels, got images \(images.shape) and \(labels.count) labels")
    }
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
      throw CNNError("Dataset \(name): label \(labels[bad]) at index \(bad) is outside 0..<\(classNames.count)")
    }
    if let index = images.firstNonFiniteIndex {
      let perImage = images.count / max(labels.count, 1)
      throw CNNError("Dataset \(name): image \(index / max(perImage, 1)) holds the pixel value \(images.scalars[index]); pixels must be finite numbers")
    }
    self.images = images
    self.labels = labels
    self.name = name
    self.classNames = classNames
  }

  /// The number of images.
  public var count: Int { labels.count }

  /// Image `index` as a (28, 28) tensor in [0, 1], e.g. for a figure.
  /// An index outside 0..<count stops with a message that release builds keep.
  public func image(_ index: Int) -> Tensor {
    guard index >= 0 && index < count else {
      fatalError("Dataset.image: index \(index) is out of range 0..<\(count) (\(name) holds \(count) images)")
    }
    let (height, width) = (images.shape[2], images.shape[3])
    let size = images.shape[1] * height * width
    return Tensor(shape: [height, width], scalars: Array(images.scalars[index * size..<index * size + height * width]))
  }

  /// Image `index` as the original bytes 0...255 (exact: pixel = byte / 255 round-trips in Float).
  public func rawPixels(_ index: Int) -> [UInt8] {
    image(index).scalars.map { UInt8(($0 * 255).rounded()) }
  }

  /// The images and labels at `indices`, in that order; throws a `CNNError` for an index out of range.
  public func subset(_ indices: [Int]) throws -> Dataset {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw CNNError("Dataset.subset: index \(bad) is out of range 0..<\(count) (\(name) holds \(count) images)")
    }
    return try Dataset(images: gather(images: images, indices: indices), labels: indices.map { labels[$0] },
                       name: name, classNames: classNames)
  }

  /// The images and labels in `range` (cheaper than an index list); throws a `CNNError` when the
  /// range reaches outside 0..<count.
  public func subset(_ range: Range<Int>) throws -> Dataset {
    guard range.lowerBound >= 0, range.upperBound <= count else {
      throw CNNError("Dataset.subset: range \(range.lowerBound)..<\(range.upperBound) is out of range 0..<\(count) (\(name) holds \(count) images)")
    }
    return try Dataset(images: images.slice(range), labels: Array(labels[range]), name: name, classNames: classNames)
  }
}

/// Where a dataset's four IDX files come from.
public enum DataSource: Sendable, Equatable {
  /// Real MNIST, shipped gzipped inside this package (`Sources/CNN/Resources/MNIST`).
  case bundledMNIST
  /// A folder holding the MNIST file names, raw or .gz: `train-images-idx3-ubyte[.gz]`, etc.
  case folder(String)
  /// Debian's `dataset-fashion-mnist` package in /usr/share/datasets/fashion-mnist/.
  case fashionMNIST

  /// Where Debian's package puts Fashion-MNIST.
  public static let fashionMNISTFolder = "/usr/share/datasets/fashion-mnist"

  /// The folder holding this source's IDX files, or a one-line error saying what is missing.
  public func folder() throws -> String {
    switch self {
    case .bundledMNIST:
      return try Dataset.bundledMNISTFolder()
    case .folder(let path):
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw CNNError("data folder \(path) does not exist")
      }
      return path
    case .fashionMNIST:
      guard FileManager.default.fileExists(atPath: DataSource.fashionMNISTFolder) else {
        throw CNNError(
          "Fashion-MNIST not found in \(DataSource.fashionMNISTFolder); install it with: sudo apt-get install dataset-fashion-mnist")
      }
      return DataSource.fashionMNISTFolder
    }
  }

  /// Checks that the folder and all four IDX files exist (their contents are validated on load),
  /// so a run can refuse a missing dataset before it writes anything.
  public func checkFilesExist() throws {
    let folder = try folder()
    for split in [Dataset.Split.train, .test] {
      for kind in ["images-idx3-ubyte", "labels-idx1-ubyte"] {
        _ = try Dataset.findIDX(folder: folder, base: "\(split.filePrefix)-\(kind)")
      }
    }
  }
}

extension Dataset {
  /// MNIST's labels 0...9 are the digits themselves.
  public static let digitClassNames = (0...9).map(String.init)
  /// Fashion-MNIST's labels 0...9, from the dataset's README.
  public static let fashionClassNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]

  /// Loads one split of a dataset.
  ///
  /// - Parameter limit: keep only the first `limit` images (for quick runs); the files are still
  ///   validated in full.
  public static func load(_ source: DataSource, split: Split, limit: Int? = nil) throws -> Dataset {
    if let limit, limit < 0 { throw CNNError("dataset limit must be 0 or more, got \(limit)") }
    let folder = try source.folder()
    let name: String
    let classNames: [String]
    switch source {
    case .bundledMNIST: (name, classNames) = ("MNIST \(split.rawValue)", digitClassNames)
    case .folder(let path): (name, classNames) = ("MNIST-format \(split.rawValue) from \(path)", digitClassNames)
    case .fashionMNIST: (name, classNames) = ("Fashion-MNIST \(split.rawValue)", fashionClassNames)
    }
    let imagesPath = try findIDX(folder: folder, base: "\(split.filePrefix)-images-idx3-ubyte")
    let labelsPath = try findIDX(folder: folder, base: "\(split.filePrefix)-labels-idx1-ubyte")
    return try load(imagesPath: imagesPath, labelsPath: labelsPath, limit: limit,
                    name: name, classNames: classNames)
  }

  /// Loads and cross-checks an image file and a label file.
  public static func load(
    imagesPath: String, labelsPath: String, limit: Int? = nil,
    name: String = "MNIST", classNames: [String] = digitClassNames
  ) throws -> Dataset {
    let imageFile = try IDX.readImages(path: imagesPath)
    let labelFile = try IDX.readLabels(path: labelsPath)
    let (imageCount, rows, columns) = (imageFile.dimensions[0], imageFile.dimensions[1], imageFile.dimensions[2])
    guard rows == 28, columns == 28 else {
      throw CNNError("\(imageFile.name): images are \(rows)x\(columns), expected 28x28")
    }
    guard imageCount == labelFile.dimensions[0] else {
      throw CNNError(
        "\(imageFile.name) holds \(imageCount) images but \(labelFile.name) holds \(labelFile.dimensions[0]) labels")
    }
    if let bad = labelFile.bytes.firstIndex(where: { Int($0) >= classNames.count }) {
      throw CNNError(
        "\(labelFile.name): label \(labelFile.bytes[bad]) at index \(bad) is outside 0...\(classNames.count - 1)")
    }
    let kept = min(imageCount, limit ?? imageCount)
    let pixelCount = kept * rows * columns
    let scalars = [Float](unsafeUninitializedCapacity: pixelCount) { target, initialized in
      imageFile.bytes.withUnsafeBufferPointer { source in
        // Divide (not multiply by 1/255) so that round(pixel · 255) gives back the exact byte.
        for i in 0..<pixelCount { target[i] = Float(source[i]) / 255 }
      }
      initialized = pixelCount
    }
    return try Dataset(
      images: Tensor(shape: [kept, 1, rows, columns], scalars: scalars),
      labels: labelFile.bytes.prefix(kept).map { Int($0) }, name: name, classNames: classNames)
  }

  // MARK: - Finding the files

  /// `folder/base` or `folder/base.gz`, whichever exists (raw first).
  public static func findIDX(folder: String, base: String) throws -> String {
    for candidate in [base, base + ".gz"] {
      let path = (folder as NSString).appendingPathComponent(candidate)
      if FileManager.default.fileExists(atPath: path) { return path }
    }
    throw CNNError("\(base): not found in \(folder) (looked for \(base) and \(base).gz)")
  }

  /// The folder of the bundled MNIST files inside the resource bundle.
  ///
  /// NOTE: SwiftPM's `Bundle.module` stops the process with an uncatchable fatal error when the
  /// `cnn-lessons_CNN.resources` folder is not next to the executable, so we look first and
  /// throw a readable error instead.
  static func bundledMNISTFolder() throws -> String {
    let bundleName = "cnn-lessons_CNN.resources"
    let besideMain = Bundle.main.bundleURL.appendingPathComponent(bundleName).path
    if FileManager.default.fileExists(atPath: besideMain), let url = Bundle.module.url(forResource: "MNIST", withExtension: nil) {
      return url.path
    }
    // The executable may have been reached through a symlink: try beside the real file too.
    let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    let besideExecutable = executable.deletingLastPathComponent().appendingPathComponent(bundleName).path
    let folder = (besideExecutable as NSString).appendingPathComponent("MNIST")
    if FileManager.default.fileExists(atPath: folder) { return folder }
    // Last resort for a binary moved away from its build folder: the gzipped files in the source tree.
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Resources/MNIST").path
    if FileManager.default.fileExists(atPath: sources) { return sources }
    throw CNNError(
      "bundled MNIST not found: the resource folder \(bundleName) is missing next to the executable (\(besideMain)); run through `swift run` or pass --data DIR")
  }
}
