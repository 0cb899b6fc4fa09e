// Chapter 4: pooling. Max and average pooling forward, the backward pass that routes gradients to
// the window's winner (or spreads them evenly), and the tie rule that keeps the gradient's sum.

import CNN
import Foundation

/// Chapter 4: pooling shrinks a map, and its backward pass sends each gradient back where it came from.
struct Pooling: Chapter {
  static let number = 4
  static let slug = "pooling"
  static let title = "Pooling: max and average, argmax routing, the tie rule"

  func run(_ page: Page) throws {
    page.prose("""
      Pooling summarises each $K \\times K$ window of a map by one number, with no weights to learn.
      Max pooling keeps the largest value, average pooling the mean:
      """)
    page.math(
      #"\text{max: } Y[y, x] = \max_{i,j < K} X[yS + i,\ xS + j] \qquad \text{avg: } Y[y, x] = \frac{1}{K^2} \sum_{i,j < K} X[yS + i,\ xS + j]"#,
      #"\text{max backward: } \frac{\partial L}{\partial X[p]} = \sum_{\text{windows won by } p} \frac{\partial L}{\partial Y} \qquad \text{avg backward: } \frac{\partial L}{\partial X[p]} = \frac{1}{K^2} \sum_{\text{windows containing } p} \frac{\partial L}{\partial Y}"#)
    page.code("Sources/CNN/Layers/MaxPool2D.swift", "Sources/CNN/Layers/AvgPool2D.swift")

    // Step 1: before and after on a digit.
    page.step("Max and average pooling on a digit")
    let train = try page.dataset(.train, atLeast: 8, for: "the digit it pools is image 7")
    let digit = train.image(7).asImageBatch()
    let maxPool = try MaxPool2D(kernelSize: 2)
    let avgPool = try AvgPool2D(kernelSize: 2)
    let maxPooled = try maxPool.forward(digit, mode: .training)
    let avgPooled = try avgPool.forward(digit, mode: .inference)
    page.number("input mean", digit.mean(), key: "input_mean")
    page.number("max-pooled mean", maxPooled.mean(), key: "max_pooled_mean")
    page.number("average-pooled mean", avgPooled.mean(), key: "average_pooled_mean")
    page.prose("""
      A 2x2 pool with stride 2 halves each side (28 → \(maxPooled.shape[2])). Average pooling keeps
      the mean brightness (\(formatted(avgPooled.mean())) vs \(formatted(digit.mean())) before);
      max pooling raises it to \(formatted(maxPooled.mean())) because every window keeps its
      brightest pixel, so strokes get thicker.
      """)
    try page.figure("before-after.png", Figures.panels([
      ("input 28x28", digit.plane(0, 0)), ("max pool 2x2 → 14x14", maxPooled.plane(0, 0)),
      ("average pool 2x2 → 14x14", avgPooled.plane(0, 0)),
    ], signed: false, scale: 6), caption: """
      One digit before and after pooling (the pooled maps drawn at the same size). Max pooling \
      keeps strokes bold and blocky; average pooling blurs their edges to grey.
      """)

    // Step 2: the argmax mask — where max pooling sends the gradient.
    page.step("The argmax mask: where the gradient goes")
    let mask = try maxPool.backward(Tensor(repeating: 1, shape: maxPooled.shape)).plane(0, 0)
    let winners = mask.scalars.filter { $0 != 0 }.count
    page.number("input cells that receive a gradient", winners, key: "argmax_cells")
    page.prose("""
      Backpropagating a gradient of 1 from every output marks the winner of each window: exactly
      \(winners) of the \(digit.count) input cells (one per window, \(maxPooled.shape[2])² windows) receive
      it; the other three in each window get 0, because a small change there does not change the max.
      """)
    try page.figure("argmax-mask.png", Figures.panels([
      ("input", digit.plane(0, 0)), ("argmax mask (gradient of Σ Y)", mask),
    ], signed: false, scale: 8, grid: 2), caption: """
      Left: the digit. Right: the input cells that won their 2x2 window (black). In the blank \
      background every pixel ties at 0 and the tie rule picks the window's top-left cell, which \
      makes the regular dotted pattern; on the strokes the winner is the brightest pixel.
      """)

    // Step 3: the tie rule.
    page.step("The tie rule")
    let flat = Tensor(repeating: 0.5, shape: [1, 1, 4, 4])
    let tiePool = try MaxPool2D(kernelSize: 2)
    let tieOutput = try tiePool.forward(flat, mode: .training)
    let upstream = Tensor(shape: tieOutput.shape, scalars: [1, 2, 3, 4])
    let routed = try tiePool.backward(upstream).plane(0, 0)
    var nonzeroPerWindow: [Int] = []
    for windowY in 0..<2 {
      for windowX in 0..<2 {
        var nonzero = 0
        for i in 0..<2 {
          for j in 0..<2 where routed[windowY * 2 + i, windowX * 2 + j] != 0 { nonzero += 1 }
        }
        nonzeroPerWindow.append(nonzero)
      }
    }
    page.number("Σ gradInput", routed.sum(), key: "tie_gradient_sum")
    page.number("Σ gradOutput", upstream.sum(), key: "tie_upstream_sum")
    page.prose("""
      On an all-equal window every element is "the max". The library's documented rule, as in
      PyTorch's CPU kernel: the **first** maximum in row-major window order wins and takes the
      whole gradient. Feeding gradients 1, 2, 3, 4 to the four windows of a constant 4x4 map routes
      each to its window's top-left cell; the sum is kept (\(formatted(routed.sum())) in,
      \(formatted(upstream.sum())) out). Splitting the gradient among the tied cells would also keep
      the sum, but would disagree with PyTorch and with the forward pass, which returns one element.
      """)
    try page.figure("tie-rule.png", Figures.panels([
      ("X: all 0.5", flat.plane(0, 0)), ("dY", upstream.plane(0, 0)), ("dX", routed),
    ], signed: false, scale: 40, annotate: true), caption: """
      The tie rule on a constant 4x4 map X (left): each window's gradient dY = gradOutput (middle) \
      lands whole on the top-left cell of its window in dX = gradInput (right); the other cells get 0.
      """)

    // Step 4: PyTorch fixtures.
    page.step("The same numbers as PyTorch")
    var fixtureRows: [[String]] = []
    var worst: Float = 0
    for (name, layer) in [("maxpool_2x2", try MaxPool2D(kernelSize: 2) as Layer), ("avgpool_2x2", try AvgPool2D(kernelSize: 2)),
                          ("maxpool_3x3_s2", try MaxPool2D(kernelSize: 3, stride: 2)), ("avgpool_3x3_s2", try AvgPool2D(kernelSize: 3, stride: 2))] {
      let fixture = try Fixture.pyTorch(name)
      let output = try layer.forward(fixture.tensor("input"), mode: .training)
      let gradInput = try layer.backward(try fixture.tensor("gradOutput"))
      let forwardDifference = output.maxAbsDifference(try fixture.tensor("output"))
      let backwardDifference = gradInput.maxAbsDifference(try fixture.tensor("gradInput"))
      worst = max(worst, forwardDifference, backwardDifference)
      fixtureRows.append([name, layer.summary, formatted(forwardDifference), formatted(backwardDifference)])
    }
    page.table(headers: ["fixture", "layer", "max |output diff|", "max |gradInput diff|"], rows: fixtureRows)
    page.number("max |ours − PyTorch| over pooling fixtures", worst, key: "pytorch_difference")

    // Step 5: gradient check.
    page.step("Gradient check")
    var generator = page.generator(stream: 4)
    // Distinct values spaced 3h apart: no ties and no kinks within the finite-difference step.
    let input = Tensor(gradientCheckInput: [2, 2, 6, 6], using: &generator)
    let maxReport = try gradientCheck(try MaxPool2D(kernelSize: 2), input: input, seed: page.seed)
    let avgReport = try gradientCheck(try AvgPool2D(kernelSize: 3, stride: 2), input: input, seed: page.seed)
    page.number("max pool: max relative error", maxReport.maxRelativeError, format: .scientific(2), key: "maxpool_gradient_error")
    page.number("average pool: max relative error", avgReport.maxRelativeError, format: .scientific(2), key: "avgpool_gradient_error")
    page.prose("""
      Central differences $\\frac{L(x + h) - L(x - h)}{2h}$ on every input element, with
      $h = \(formatted(gradientCheckStep))$, against the backward pass. Pooling is piecewise
      linear, so away from ties the finite difference is exact up to Float rounding.
      """)
    page.code("Sources/CNN/Check/GradientCheck.swift")

    // Checks.
    page.check("pooling forward and backward match PyTorch", worst, atMost: 1e-6)
    page.check("max pool gradient check", maxReport.maxRelativeError, atMost: Double(gradientCheckTolerance))
    page.check("average pool gradient check", avgReport.maxRelativeError, atMost: Double(gradientCheckTolerance))
    page.check("tie rule: one winner in each all-equal window", nonzeroPerWindow.allSatisfy { $0 == 1 })
    page.check("tie rule: the winner is the window's first (top-left) cell",
               routed[0, 0] == 1 && routed[0, 2] == 2 && routed[2, 0] == 3 && routed[2, 2] == 4)
    page.check("tie rule keeps the gradient's sum", Double(routed.sum()), closeTo: Double(upstream.sum()), tolerance: 0)

    page.tryThis("""
      In `Lessons/04-Pooling.swift`, change `try MaxPool2D(kernelSize: 2)` in step 1 to \
      `try MaxPool2D(kernelSize: 3, stride: 1)`: overlapping windows. The output becomes 26x26, and in \
      the argmax mask some bright pixels win several windows, so their gradient is larger than 1.
      """)
  }
}
