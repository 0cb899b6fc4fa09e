// Chapter 6: the backward pass of a convolution. dX is a full convolution of dY with the flipped
// kernel, dW correlates X with dY, db sums dY; a gradient check over strides, paddings and
// channels proves it, and a planted bug shows that the check can fail.

import CNN
import Foundation

/// Chapter 6: convolution's gradients are themselves convolutions, and the gradient checker proves it.
struct ConvolutionBackward: Chapter {
  static let number = 6
  static let slug = "convolution-backward"
  static let title = "Convolution backward, and a planted bug"

  func run(_ page: Page) throws {
    page.prose("""
      Every output of a convolution is a sum of products $X \\cdot W$, so each input pixel and each
      weight receives gradient from every output it touched. Collecting those contributions gives
      three formulas, each a convolution again (stride 1 shown; stride $S$ spreads $dY$ out with
      $S - 1$ zeros between its entries):
      """)
    page.math(
      #"\frac{\partial L}{\partial X}[c] = \sum_o \Big(\text{pad}_{K-1-P}(dY[o])\Big) \star \mathrm{rot}_{180}(W[o, c]) \quad \text{(a full convolution with the flipped kernel)}"#,
      #"\frac{\partial L}{\partial W}[o, c] = \text{pad}_P(X[c]) \star dY[o] \qquad \frac{\partial L}{\partial b}[o] = \sum_{y,x} dY[o, y, x]"#)
    page.code("Sources/CNN/Layers/Conv2D.swift", "Sources/CNN/Check/GradientCheck.swift")

    // Step 1: the three gradients for one digit.
    page.step("dL/dX and dL/dW for one digit")
    let train = try page.dataset(.train, atLeast: 4, for: "the digit it differentiates is image 3")
    let digit = train.image(3).asImageBatch()  // (1, 1, 28, 28)
    var generator = page.generator(stream: 6)
    let weight = Tensor(randomNormal: [4, 1, 5, 5], standardDeviation: 0.2, using: &generator)
    let bias = Tensor(zeros: [4])
    let output = try Conv2D.directForward(input: digit, weight: weight, bias: bias, stride: 1, padding: 2)
    // L = ½‖Y‖², so dY = Y: the gradient asks every output to shrink towards 0.
    let gradOutput = output
    let gradients = try Conv2D.directBackward(gradOutput: gradOutput, input: digit, weight: weight, stride: 1, padding: 2)
    page.number("‖dL/dX‖", gradients.gradInput.norm(), key: "grad_input_norm")
    page.number("‖dL/dW‖", gradients.gradWeight.norm(), key: "grad_weight_norm")
    try page.figure("gradients.png", Figures.panels(
      [("digit X", digit.plane(0, 0))]
        + (0..<4).map { ("dX via kernel \($0)", try Conv2D.directBackward(
          gradOutput: Self.onlyChannel($0, of: gradOutput), input: digit, weight: weight, stride: 1, padding: 2
        ).gradInput.plane(0, 0)) }
        + [("dX, all 4", gradients.gradInput.plane(0, 0))],
      signed: true, scale: 5), caption: """
      For L = ½‖Y‖² of a 4-kernel layer: how the loss changes with each input pixel, per kernel and \
      in total. Red pixels would raise the loss if brightened, blue ones lower it; the gradient \
      lives on and around the strokes, where the kernels respond.
      """)
    // Kernels and gradients differ in size by orders of magnitude: one colour scale per row.
    try page.figure("grad-weight.png", Figures.stack([
      Figures.panels((0..<4).map { ("W[\($0)]", weight.plane($0, 0)) }, signed: true, scale: 20),
      Figures.panels((0..<4).map { ("dL/dW[\($0)]", gradients.gradWeight.plane($0, 0)) }, signed: true, scale: 20),
    ], horizontally: false), caption: """
      Top: the four 5x5 kernels. Bottom: their gradients (each row has its own colour scale). For this loss dL/dW points along W \
      itself plus the digit's structure, so a step −dL/dW shrinks each kernel's response.
      """)

    // Step 2: the formulas, computed as forward convolutions.
    page.step("Each gradient is a convolution")
    // dX: pad dY by K−1−P, correlate with the kernel rotated 180° and its channels swapped (O↔C).
    let k = 5
    let flipped = weight.rotated180().reshaped(to: [1, 4, 5, 5])  // (C=1, O=4, K, K): O now sums
    let viaFullConvolution = try Conv2D.directForward(
      input: gradOutput, weight: flipped, bias: nil, stride: 1, padding: k - 1 - 2)
    // dW[o, c] = X[c] ⋆ dY[o]: the input's channels as a batch, dY's channels as the kernels.
    let viaCorrelation = try Conv2D.directForward(
      input: digit, weight: gradOutput.reshaped(to: [4, 1, 28, 28]), bias: nil, stride: 1, padding: 2)
      .reshaped(to: [4, 1, 5, 5])
    let viaSum = Tensor(shape: [4], scalars: (0..<4).map { gradOutput.plane(0, $0).sum() })
    let dxDifference = viaFullConvolution.maxAbsDifference(gradients.gradInput)
    let dwDifference = viaCorrelation.maxAbsDifference(gradients.gradWeight)
    let dbDifference = viaSum.maxAbsDifference(gradients.gradBias)
    page.table(headers: ["gradient", "computed as", "max |difference| to directBackward"], rows: [
      ["dL/dX", "full convolution of dY with the flipped kernel", formatted(dxDifference)],
      ["dL/dW", "X correlated with dY", formatted(dwDifference)],
      ["dL/db", "sum of dY over positions", formatted(dbDifference)],
    ])
    page.number("max |dX via full convolution − directBackward|", dxDifference, key: "dx_formula_difference")
    page.prose("""
      Computed with nothing but the forward convolution of chapter 2, the three formulas agree
      with the library's `directBackward` to \(formatted(max(dxDifference, dwDifference, dbDifference)))
      (float rounding in a different summation order). The flip is the whole difference between
      cross-correlation (forward) and convolution (backward).
      """)

    // Step 3: a gradient check over strides, paddings and channels.
    page.step("Gradient checks over strides, paddings and channels")
    var rows: [[String]] = []
    var worst: Float = 0
    var checkGenerator = page.generator(stream: 60)
    // Convolution is linear in the input, the weight and the bias, so the centred difference is
    // exact for any step: a large step only shrinks Float32 rounding relative to the difference.
    // With the default step (1e-2) that rounding reached 1.24e-2 for seed 18 (quick), above the
    // tolerance; the library's Conv2D tests use 0.1 for the same reason.
    let linearCheckStep: Float = 0.1
    for stride in [1, 2] {
      for padding in [0, 1, 2] {
        for channels in [1, 3] {
          let layer = try Conv2D(inChannels: channels, outChannels: 2, kernelSize: 3, stride: stride,
                             padding: padding, algorithm: .direct, using: &checkGenerator)
          let input = Tensor(randomNormal: [2, channels, 6, 7], using: &checkGenerator)
          let report = try gradientCheck(layer, input: input, seed: page.seed, step: linearCheckStep)
          worst = max(worst, report.maxRelativeError)
          rows.append(["\(stride)", "\(padding)", "\(channels)"]
            + report.comparisons.map { formatted($0.maxRelativeError, .scientific(1)) })
        }
      }
    }
    page.table(headers: ["stride", "padding", "channels", "error dX", "error dW", "error db"], rows: rows)
    page.number("worst relative error over 12 configurations", worst, format: .scientific(2), key: "max_relative_error")
    page.prose("""
      \(rows.count) configurations (inputs 6x7, so odd sizes and strides that do not divide evenly are
      covered), every input, weight and bias element perturbed by $\\pm h$ with $h = \(formatted(linearCheckStep))$.
      Convolution is linear in each argument, so the centred difference is exact for any $h$ up to
      Float rounding, and a larger $h$ makes that rounding smaller relative to the difference: the
      worst relative error is \(formatted(worst, .scientific(2))), tolerance \(formatted(gradientCheckTolerance)).
      """)

    // Step 4: a planted bug — the kernel is not flipped in the backward pass.
    page.step("A planted bug: forgetting the flip")
    var bugGenerator = page.generator(stream: 61)
    let buggy = PlantedBug.unflippedConvolution(inChannels: 1, outChannels: 2, kernelSize: 3, using: &bugGenerator)
    let bugInput = Tensor(randomNormal: [1, 1, 6, 6], using: &bugGenerator)
    let bugReport = try gradientCheck(buggy, input: bugInput, seed: page.seed)
    let inputError = bugReport.comparisons.first { $0.name == "input" }?.maxRelativeError ?? 0
    page.number("planted bug: relative error of dX", inputError, format: .scientific(2), key: "planted_bug_error")
    page.prose("""
      `PlantedBug.unflippedConvolution` is a convolution layer whose backward pass uses the kernel
      as it is instead of rotated by 180°. For a symmetric kernel that would go unnoticed; for a
      random one the gradient check reports a relative error of \(formatted(inputError)) on dX,
      far above the tolerance. A checker that never fails proves nothing: this one bites.
      """)
    if let comparison = bugReport.comparisons.first(where: { $0.name == "input" }) {
      try page.figure("planted-bug.png", Figures.panels([
        ("numeric dX (truth)", comparison.numeric.plane(0, 0)),
        ("buggy analytic dX", comparison.analytic.plane(0, 0)),
        ("difference", (comparison.analytic - comparison.numeric).plane(0, 0)),
      ], signed: true, scale: 24, annotate: true), caption: """
        The planted bug on a 6x6 input, all three maps on one colour scale: the numeric gradient \
        (top) and the buggy backward pass (middle) disagree almost everywhere; the difference \
        (bottom) is as large as the gradient itself, which is why the relative error is near 1.
        """)
    }

    // Checks.
    page.check("dX = full convolution of dY with the flipped kernel", dxDifference, atMost: 1e-4)
    page.check("dW = X correlated with dY; db = Σ dY", max(dwDifference, dbDifference), atMost: 1e-3)
    page.check("gradient checks pass over strides {1,2}, paddings {0,1,2}, channels {1,3}",
               worst, atMost: Double(gradientCheckTolerance))
    page.check("the planted bug (kernel not flipped) FAILS the gradient check",
               inputError, atLeast: Double(10 * gradientCheckTolerance))

    page.tryThis("""
      In `Lessons/06-ConvolutionBackward.swift`, remove `.rotated180()` from `flipped` in step 2. \
      The dX row of the table jumps from rounding noise to the size of the gradient itself, and the \
      first check fails — the same mistake as the planted bug, made by hand.
      """)
  }

  /// dY with every channel but `channel` zeroed: the gradient that one kernel alone sends back.
  static func onlyChannel(_ channel: Int, of gradOutput: Tensor) -> Tensor {
    let planeSize = gradOutput.shape[2] * gradOutput.shape[3]
    var result = Tensor(zeros: gradOutput.shape)
    for i in 0..<planeSize { result.scalars[channel * planeSize + i] = gradOutput.scalars[channel * planeSize + i] }
    return result
  }
}
