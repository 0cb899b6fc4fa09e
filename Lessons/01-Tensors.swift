// Chapter 1: images as tensors. The IDX file format MNIST ships in, the NCHW layout every layer
// reads, normalisation to [0, 1], and PNG files for looking at it all.

import CNN
import Foundation
import Plotting

/// Chapter 1: a digit is a 28x28 grid of bytes, and a batch of digits is one 4-D tensor.
struct ImagesAsTensors: Chapter {
  static let number = 1
  static let slug = "tensors"
  static let title = "Images as tensors"

  func run(_ page: Page) throws {
    page.prose("""
      A network never sees pictures, only numbers. This chapter follows MNIST's handwritten
      digits from the bytes on disk to the tensor every later chapter feeds to a network.
      """)
    page.code("Sources/CNN/Data/IDX.swift", "Sources/CNN/Data/Gzip.swift", "Sources/CNN/Data/Dataset.swift",
              "Sources/CNN/Tensor/Tensor.swift", "Sources/Plotting/PNG.swift")

    // Step 1: the IDX format — a tiny header, then raw bytes.
    page.step("The IDX file format")
    let train = try page.dataset(.train)  // validates the files (and names a missing dataset) first
    let folder = try page.dataSource.folder()
    let imagesFile = try IDX.read(path: try Dataset.findIDX(folder: folder, base: "train-images-idx3-ubyte"))
    let labelsFile = try IDX.read(path: try Dataset.findIDX(folder: folder, base: "train-labels-idx1-ubyte"))
    page.number("image file magic number", Int(imagesFile.magic), key: "image_magic")
    page.number("label file magic number", Int(labelsFile.magic), key: "label_magic")
    page.table(headers: ["file", "magic", "dimensions", "payload bytes"], rows: [
      [imagesFile.name, String(format: "0x%08X", imagesFile.magic), imagesFile.dimensions.map(String.init).joined(separator: " × "),
       formatted(imagesFile.bytes.count)],
      [labelsFile.name, String(format: "0x%08X", labelsFile.magic), labelsFile.dimensions.map(String.init).joined(separator: " × "),
       formatted(labelsFile.bytes.count)],
    ])
    page.prose("""
      An IDX file starts with a 4-byte big-endian magic number: two zero bytes, a type code
      (`0x08` = unsigned byte) and the number of dimensions (3 for images, 1 for labels). Then one
      big-endian 32-bit size per dimension, then the data, row-major. So the image file holds
      \(imagesFile.dimensions.map { formatted($0) }.joined(separator: " × ")) bytes, one per pixel,
      0 = white paper and 255 = black ink. The files ship gzipped and are read through zlib; the
      loader checks the magic, the sizes against the file length, and that there are as many
      labels as images.
      """)

    // Step 2: the whole dataset as one NCHW tensor.
    page.step("The dataset as one NCHW tensor")
    let test = try page.dataset(.test)
    // Step 2 reads image 1, so two images are the least this chapter can show.
    _ = try page.dataset(.train, atLeast: 2, for: "step 2 reads image 1")
    page.number("training images", train.count)
    page.number("test images", test.count)
    page.prose("""
      `Dataset.load` turns the \(formatted(train.count)) training images into one tensor of shape
      \(train.images.shape): **N**umber, **C**hannels (1: grey), **H**eight, **W**idth. Element
      $(n, c, y, x)$ lives at a flat offset computed like the digits of a number:
      """)
    page.math(#"\text{offset}(n, c, y, x) = ((n \cdot C + c) \cdot H + y) \cdot W + x"#)
    let (n, c, y, x) = (1, 0, 14, 14)
    let offset = ((n * 1 + c) * 28 + y) * 28 + x
    page.number("offset of (1, 0, 14, 14)", offset, key: "example_offset")
    let bySubscript = train.images[n, c, y, x]
    let byOffset = train.images.scalars[offset]
    page.prose("""
      For image 1, row 14, column 14 that is ((1·1 + 0)·28 + 14)·28 + 14 = \(formatted(offset)), and
      `images[1, 0, 14, 14]` reads \(formatted(bySubscript)) from exactly there. Keeping the
      whole batch contiguous means a convolution walks memory in order; NCHW is also PyTorch's
      layout, which lets later chapters compare numbers with it directly.
      """)

    // Step 3: look at the digits.
    page.step("What the digits look like")
    let shown = min(40, train.count)
    try page.figure("digits.png", Figures.digitGrid(
      (0..<shown).map { train.image($0) }, labels: (0..<shown).map { train.classNames[train.labels[$0]] },
      columns: 10, scale: 3), caption: """
      The first \(shown) training images with their labels. Note the variety in stroke width and \
      slant, and that the digits are centred: MNIST centred each digit's centre of mass in the \
      28x28 frame.
      """)

    // Step 4: labels.
    page.step("The labels")
    var counts = [Int](repeating: 0, count: train.classNames.count)
    for label in train.labels { counts[label] += 1 }
    let labelsInRange = (train.labels + test.labels).allSatisfy { (0...9).contains($0) }
    page.table(headers: ["label"] + train.classNames, rows: [["training images"] + counts.map { formatted($0) }])
    page.number("smallest class", counts.min() ?? 0, key: "smallest_class")
    page.number("largest class", counts.max() ?? 0, key: "largest_class")
    try page.figure("label-histogram.png", Figures.bars(
      [("training images", counts.map(Double.init))], labels: train.classNames,
      title: "training images per label"), caption: """
      How many training images each label has. The classes are roughly balanced (from \
      \(formatted(counts.min() ?? 0)) to \(formatted(counts.max() ?? 0))), so accuracy is a fair \
      summary and a network that always answers one digit scores only about 10%.
      """)

    // Step 5: pixels and normalisation.
    page.step("Pixels and normalisation")
    let rawMin = imagesFile.bytes.min() ?? 0
    let rawMax = imagesFile.bytes.max() ?? 0
    let mean = train.images.mean()
    var squares: Double = 0
    for value in train.images.scalars { squares += Double(value - mean) * Double(value - mean) }
    let standardDeviation = (squares / Double(train.images.count)).squareRoot()
    let inkFraction = Double(imagesFile.bytes.filter { $0 > 0 }.count) / Double(imagesFile.bytes.count)
    page.number("smallest raw pixel", Int(rawMin), key: "raw_min")
    page.number("largest raw pixel", Int(rawMax), key: "raw_max")
    page.number("mean of pixel / 255", mean, key: "pixel_mean")
    page.number("standard deviation of pixel / 255", standardDeviation, key: "pixel_std")
    page.number("fraction of pixels with any ink", inkFraction, format: .percent(1), key: "ink_fraction")
    page.math(#"x = \frac{\text{byte}}{255} \in [0, 1], \qquad \mu = \text{mean}(x), \quad \sigma = \text{std}(x)"#)
    page.prose("""
      Raw pixels run from \(rawMin) to \(rawMax). Dividing by 255 puts them in $[0, 1]$ with mean
      $\\mu = \(formatted(mean))$ and standard deviation $\\sigma = \(formatted(standardDeviation))$:
      only \(percent(inkFraction, digits: 1)) of the pixels carry any ink. Many courses also subtract
      $\\mu$ and divide by $\\sigma$; with ReLU networks and He initialisation, $[0, 1]$ inputs train
      just as well, so this course keeps the simpler scaling.
      """)
    var classMeans: [Tensor] = []
    for label in 0..<train.classNames.count {
      var sum = Tensor(zeros: [28, 28])
      for index in 0..<train.count where train.labels[index] == label {
        sum.add(train.image(index))
      }
      classMeans.append(sum * (1 / Float(max(counts[label], 1))))
    }
    try page.figure("class-means.png", Figures.digitGrid(
      classMeans, labels: train.classNames.map { "mean \($0)" }, columns: 10, scale: 3), caption: """
      The mean image of each class. Each is a blurry but recognisable template; the 1 is the \
      sharpest (little variation), and the 0/6/8/9 share a round lower half. A linear classifier \
      is not far from comparing an image with templates like these; a CNN does much better.
      """)

    // Step 6: a PNG written and read back.
    page.step("Figures as PNG files")
    let pngPath = (page.directory as NSString).appendingPathComponent("digits.png")
    let readBack = try PNG.read(from: pngPath)
    let written = Figures.digitGrid(
      (0..<shown).map { train.image($0) }, labels: (0..<shown).map { train.classNames[train.labels[$0]] },
      columns: 10, scale: 3)
    let samePixels = readBack == written
    page.number("PNG width", readBack.width, key: "png_width")
    page.number("PNG height", readBack.height, key: "png_height")
    page.prose("""
      Figures are `Image` values written through libpng's simplified API (to a temporary file,
      then renamed, so a crash never leaves half a PNG). Reading `digits.png` back gives a
      \(readBack.width)x\(readBack.height) image whose pixels \(samePixels ? "equal" : "DIFFER from")
      the ones written: PNG is lossless.
      """)

    // Checks.
    page.check("60,000 training images", train.count, equals: 60_000)
    page.check("10,000 test images", test.count, equals: 10_000)
    page.check("labels in 0...9", labelsInRange)
    page.check("raw pixels in [0, 255], normalised pixels in [0, 1]",
               train.images.min() >= 0 && train.images.max() <= 1 && rawMax <= 255)
    page.check("images[n, c, y, x] reads the NCHW offset", bySubscript == byOffset)
    page.check("a PNG written and read back gives the same pixels", samePixels)

    page.tryThis("""
      In `Lessons/01-Tensors.swift`, set `shown` to 100 and rerun `cnn-lessons run 1`: the grid \
      grows to ten rows. Then run `cnn-lessons run 1 --dataset fashion` (after \
      `apt-get install dataset-fashion-mnist`): the same code shows clothes, and the class means \
      become shoe and shirt silhouettes.
      """)
  }
}
