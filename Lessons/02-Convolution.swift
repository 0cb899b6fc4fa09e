// Chapter 2: convolution by hand. The sliding dot product, the 6x8 edge toy, the difference
// between cross-correlation and convolution, and classic kernels on a real digit.

import CNN
import Foundation

/// Chapter 2: a convolution is a small kernel slid over an image, summing products as it goes.
struct ConvolutionByHand: Chapter {
  static let number = 2
  static let slug = "convolution"
  static let title = "Convolution by hand"

  func run(_ page: Page) throws {
    page.prose("""
      A convolutional layer slides a small grid of weights, the *kernel*, over the image. At every
      position it multiplies the kernel with the patch underneath and sums the products. What deep
      learning libraries call "convolution" is, strictly, **cross-correlation**:
      """)
    page.math(#"Y[y, x] = b + \sum_{i=0}^{K-1} \sum_{j=0}^{K-1} X[y + i,\ x + j] \cdot W[i, j]"#)
    page.prose("""
      The library's reference implementation is `Conv2D.directForward`: seven nested loops, exactly
      this formula with batch and channel sums around it. The four outer loops visit every output
      value (image `n`, output channel `o`, row `y`, column `x`); the three inner ones sum over the
      input channels `c` and the kernel's rows `i` and columns `j`, skipping the positions that fall
      into the zero padding. Every faster algorithm in later chapters is tested against it. Here it
      is, read from the library's source as this page was written:
      """)
    try page.quote("static func directForward(", from: "Sources/CNN/Layers/Conv2D.swift")

    // Step 1: the edge toy — a 6x8 image, white at the sides, black in the middle.
    page.step("The 6x8 edge toy")
    let toy = Tensor(shape: [6, 8]) { index in (2..<6).contains(index % 8) ? 0 : 1 }
    // NOTE: the library's Conv2D takes square kernels, so the difference kernel [1, −1] is the top
    // row of a 2x2 kernel whose bottom row is zero. The output is then 5x7 instead of 6x7.
    let edgeKernel = Tensor(shape: [1, 1, 2, 2], scalars: [1, -1, 0, 0])
    let edges = try Conv2D.directForward(
      input: toy.asImageBatch(), weight: edgeKernel, bias: nil, stride: 1, padding: 0).plane(0, 0)
    let transposedToy = Tensor(shape: [8, 6]) { index in toy[index % 6, index / 6] }
    let transposedEdges = try Conv2D.directForward(
      input: transposedToy.asImageBatch(), weight: edgeKernel, bias: nil, stride: 1, padding: 0).plane(0, 0)
    let plusOnes = edges.scalars.filter { $0 == 1 }.count
    let minusOnes = edges.scalars.filter { $0 == -1 }.count
    page.number("output cells equal to +1", plusOnes)
    page.number("output cells equal to −1", minusOnes)
    page.number("largest |output| on the transposed image", transposedEdges.maxMagnitude())
    page.prose("""
      The kernel computes $X[y, x] - X[y, x+1]$: zero where neighbours agree, $+1$ where white turns
      black and $-1$ where black turns white. The output has \(plusOnes) cells at $+1$ and
      \(minusOnes) at $-1$, one column each. On the transposed image (the stripes now horizontal),
      neighbours along a row always agree and the largest output is
      \(formatted(transposedEdges.maxMagnitude())): this kernel only sees vertical edges.
      """)
    try page.figure("edge-toy.png", Figures.panels([
      ("X, 6x8", toy), ("X * [1,-1], 5x7", edges),
      ("X transposed", transposedToy), ("its output", transposedEdges),
    ], signed: true, annotate: true), caption: """
      The edge toy. Red is +1, blue is −1, white is 0. Look at the two single columns of the second \
      panel: +1 where white (1) meets black (0), −1 where it turns back; the transposed image gives \
      a blank output.
      """)

    // Step 2: convolution proper flips the kernel.
    page.step("Convolution is cross-correlation with the kernel turned 180°")
    page.prose("""
      The mathematicians' convolution runs the kernel backwards:
      $(X * W)[y, x] = \\sum_{i,j} X[y - i, x - j]\\, W[i, j]$. Re-indexing shows it is the cross-correlation with $W$ rotated by
      180° (flipped up–down and left–right). Networks learn their kernels, so the flip does not
      matter for what they can represent; it matters in chapter 6, where the backward pass of a
      cross-correlation turns out to be a true convolution.
      """)
    var generator = page.generator(stream: 2)
    let randomImage = Tensor(randomNormal: [1, 1, 9, 9], using: &generator)
    let asymmetric = Tensor(randomNormal: [1, 1, 3, 3], using: &generator)
    let convolved = trueConvolution(randomImage.plane(0, 0), asymmetric.plane(0, 0))
    let correlatedFlipped = try Conv2D.directForward(
      input: randomImage, weight: asymmetric.rotated180(), bias: nil, stride: 1, padding: 0).plane(0, 0)
    let correlated = try Conv2D.directForward(
      input: randomImage, weight: asymmetric, bias: nil, stride: 1, padding: 0).plane(0, 0)
    let flipDifference = convolved.maxAbsDifference(correlatedFlipped)
    let noFlipDifference = convolved.maxAbsDifference(correlated)
    page.number("max |convolution − correlation with the rotated kernel|", flipDifference, key: "flip_difference")
    page.number("max |convolution − correlation with the same kernel|", noFlipDifference, key: "no_flip_difference")
    page.prose("""
      On a random 9x9 image and a random 3x3 kernel, the convolution written from its definition
      (`trueConvolution` below, in this chapter's file) and the library's cross-correlation with the
      rotated kernel differ by at most \(formatted(flipDifference)); without the rotation they
      differ by up to \(formatted(noFlipDifference)).
      """)

    // Step 3: classic kernels on a real digit.
    page.step("Sobel, blur, sharpen and Laplacian on a real digit")
    let train = try page.dataset(.train, atLeast: 1, for: "a digit to convolve")
    let digit = train.image(0)
    let kernels: [(name: String, weights: [Float], scale: Float)] = [
      ("Sobel x", [-1, 0, 1, -2, 0, 2, -1, 0, 1], 1),
      ("Sobel y", [-1, -2, -1, 0, 0, 0, 1, 2, 1], 1),
      ("blur", [1, 2, 1, 2, 4, 2, 1, 2, 1], 1.0 / 16),
      ("sharpen", [0, -1, 0, -1, 5, -1, 0, -1, 0], 1),
      ("Laplacian", [0, 1, 0, 1, -4, 1, 0, 1, 0], 1),
    ]
    var kernelPanels: [(String, Tensor)] = []
    var outputPanels: [(String, Tensor)] = [("digit \(train.labels[0])", digit)]
    var rows: [[String]] = []
    for kernel in kernels {
      let weight = Tensor(shape: [1, 1, 3, 3], scalars: kernel.weights.map { $0 * kernel.scale })
      let output = try Conv2D.directForward(
        input: digit.asImageBatch(), weight: weight, bias: nil, stride: 1, padding: 1).plane(0, 0)
      kernelPanels.append((kernel.name, weight.plane(0, 0)))
      outputPanels.append((kernel.name, output))
      rows.append([kernel.name, formatted(output.min()), formatted(output.max()), formatted(weight.sum())])
    }
    page.table(headers: ["kernel", "min output", "max output", "sum of weights"], rows: rows)
    page.prose("""
      Kernels whose weights sum to 0 (Sobel, Laplacian) answer 0 on flat regions and respond only
      to change; the blur sums to 1 and keeps the brightness; sharpen sums to 1 but adds the
      Laplacian's edge response on top.
      """)
    try page.figure("kernels.png", Figures.panels(kernelPanels, signed: true, scale: 24), caption: """
      The five 3x3 kernels, enlarged (red positive, blue negative, white zero). The Sobel kernels \
      are a derivative across one direction and a smoothing along the other.
      """)
    try page.figure("digit-under-kernels.png", Figures.panels(outputPanels, signed: true, scale: 4), caption: """
      The first training digit under each kernel (padding 1 keeps 28x28). Sobel x lights up \
      vertical strokes (red on the left edge of a stroke, blue on the right), Sobel y the \
      horizontal ones; the Laplacian outlines every edge.
      """)

    // Step 4: the same numbers as PyTorch.
    page.step("The same numbers as PyTorch")
    var worst: Float = 0
    var fixtureRows: [[String]] = []
    for name in ["conv2d_basic", "conv2d_s2_p1"] {
      let fixture = try Fixture.pyTorch(name)
      let output = try Conv2D.directForward(
        input: fixture.tensor("input"), weight: fixture.tensor("weight"), bias: fixture.tensor("bias"),
        stride: fixture.int("stride"), padding: fixture.int("padding"))
      let difference = output.maxAbsDifference(try fixture.tensor("output"))
      worst = max(worst, difference)
      fixtureRows.append([name, "\(try fixture.tensor("input").shape)", "\(try fixture.tensor("weight").shape)",
                          "\(try fixture.int("stride"))", "\(try fixture.int("padding"))", formatted(difference)])
    }
    page.table(headers: ["fixture", "input", "weight", "stride", "padding", "max |ours − PyTorch|"], rows: fixtureRows)
    page.number("max |ours − PyTorch F.conv2d|", worst, key: "pytorch_difference")
    page.prose("""
      The fixtures in `Tests/CNNTests/Fixtures` hold inputs, weights and outputs of PyTorch's
      `F.conv2d`. The reference loops agree to \(formatted(worst)), float rounding in a different
      summation order.
      """)

    // Checks.
    let edgeColumnsOK = (0..<edges.shape[0]).allSatisfy { y in
      (0..<edges.shape[1]).allSatisfy { x in
        edges[y, x] == (x == 1 ? 1 : x == 5 ? -1 : 0)
      }
    }
    page.check("edge toy: exactly +1 at column 1, −1 at column 5, 0 elsewhere", edgeColumnsOK)
    page.check("edge toy: the transposed image gives 0 everywhere", transposedEdges.maxMagnitude() == 0)
    page.check("convolution = correlation with the kernel rotated 180°", flipDifference, atMost: 1e-5)
    page.check("direct convolution matches PyTorch F.conv2d", worst, atMost: 1e-5)

    page.tryThis("""
      In `Lessons/02-Convolution.swift`, change `edgeKernel` to `[1, 1, -1, -1]` (a horizontal-edge \
      detector, the difference between a row and the next). Rerun `cnn-lessons run 2`: the edge-toy \
      output goes blank and the transposed image lights up, and the first check fails, proving it \
      tests something.
      """)
    page.tryThis("""
      Replace the blur's weights with a 5x5 box (25 ones, scale 1/25, padding 2). The digit gets \
      visibly softer; the largest output drops because no 5x5 window is fully inked.
      """)
  }

  /// True convolution from its definition, valid positions only: Y[y, x] = Σ X[y + K−1−i, x + K−1−j] · W[i, j].
  /// Kept in the chapter on purpose: the library has no flipped convolution, and this is the formula being taught.
  func trueConvolution(_ image: Tensor, _ kernel: Tensor) -> Tensor {
    let k = kernel.shape[0]
    let (outHeight, outWidth) = (image.shape[0] - k + 1, image.shape[1] - k + 1)
    var output = Tensor(zeros: [outHeight, outWidth])
    for y in 0..<outHeight {
      for x in 0..<outWidth {
        var sum: Float = 0
        for i in 0..<k {
          for j in 0..<k { sum += image[y + k - 1 - i, x + k - 1 - j] * kernel[i, j] }
        }
        output[y, x] = sum
      }
    }
    return output
  }
}
