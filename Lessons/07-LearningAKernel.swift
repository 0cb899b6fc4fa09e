// Chapter 7: learning a kernel. Given images and their filtered versions, gradient descent on the
// mean squared error recovers the filter: first the [1, −1] edge kernel, then a 3x3 Sobel.

import CNN
import Foundation

/// Chapter 7: a convolution layer trained by plain SGD finds the kernel that made the data.
struct LearningAKernel: Chapter {
  static let number = 7
  static let slug = "learning-a-kernel"
  static let title = "Learning a kernel"

  func run(_ page: Page) throws {
    page.prose("""
      Chapters 2–6 used kernels written by hand. Here the kernel is unknown: we only see pairs
      $(X, Y)$ with $Y = X \\star W^\\ast$, and start from a random $W$. The loss is the mean squared
      error, and plain gradient descent updates the weights with the gradient from chapter 6:
      """)
    page.math(
      #"L(W) = \frac{1}{M} \sum \big(X \star W - Y\big)^2, \qquad W \leftarrow W - \eta\, \frac{\partial L}{\partial W}"#)
    page.code("Sources/CNN/Layers/Conv2D.swift", "Sources/CNN/Losses/MeanSquaredError.swift", "Sources/CNN/Optimizers/SGD.swift")

    // NOTE: the inputs are random normal images rather than digits: their pixels are uncorrelated,
    // so the loss is a round bowl in W and every direction of the kernel converges at the same rate.
    // Digits are mostly flat background, which leaves some kernel directions almost unconstrained.

    // Step 1: recover the edge kernel [1, −1].
    page.step("Recover [1, −1] from (image, edges) pairs")
    let edge = try learn(
      target: Tensor(shape: [1, 1, 2, 2], scalars: [1, -1, 0, 0]), padding: 0,
      steps: page.isQuick ? 30 : 40, learningRate: 0.2, stream: 7, page: page)
    page.number("edge kernel: initial loss", edge.losses[0], key: "edge_initial_loss")
    page.number("edge kernel: final loss", edge.losses.last!, format: .scientific(2), key: "edge_final_loss")
    page.number("edge kernel: max |learned − target|", edge.error, format: .scientific(2), key: "edge_kernel_error")
    page.prose("""
      Starting from a random 2x2 kernel, \(edge.losses.count - 1) steps of SGD with learning rate 0.2
      on batches of 8 random 16x16 images bring the loss from \(formatted(edge.losses[0])) to
      \(formatted(edge.losses.last!, .scientific(2))) and the kernel to
      [\(edge.kernel.scalars.map { formatted($0, .fixed(4)) }.joined(separator: ", "))], within
      \(formatted(edge.error, .scientific(1))) of the target $[1, -1; 0, 0]$.
      """)
    try page.figure("edge-filmstrip.png", Figures.filmstrip(edge.snapshots, scale: 36), caption: """
      The 2x2 kernel during training (step number above each frame). The random start fades \
      within a few steps into +1 (red) next to −1 (blue) on the top row and 0 (white) below.
      """)

    // Step 2: recover a 3x3 Sobel kernel.
    page.step("Recover a 3x3 Sobel kernel")
    let sobel = try learn(
      target: Tensor(shape: [1, 1, 3, 3], scalars: [-1, 0, 1, -2, 0, 2, -1, 0, 1]), padding: 1,
      steps: page.isQuick ? 40 : 50, learningRate: 0.2, stream: 70, page: page)
    page.number("Sobel: initial loss", sobel.losses[0], key: "sobel_initial_loss")
    page.number("Sobel: final loss", sobel.losses.last!, format: .scientific(2), key: "sobel_final_loss")
    page.number("Sobel: max |learned − target|", sobel.error, format: .scientific(2), key: "sobel_kernel_error")
    page.table(headers: ["learned Sobel x (rounded to 3 decimals)", "", ""], rows: (0..<3).map { i in
      (0..<3).map { j in formatted(sobel.kernel[0, 0, i, j], .fixed(3)) }
    })
    try page.figure("sobel-filmstrip.png", Figures.filmstrip(sobel.snapshots, scale: 24), caption: """
      The 3x3 kernel during training: the two columns of the Sobel x pattern (−1, −2, −1 in blue on \
      the left, +1, +2, +1 in red on the right) emerge from noise, the middle column fades to white.
      """)
    try page.figure("loss.png", Figures.lines(
      [("[1, −1]", edge.losses), ("Sobel 3x3", sobel.losses)], logScale: true,
      xLabel: "SGD step", yLabel: "MSE (log scale)", title: "loss while learning a kernel"), caption: """
      The loss on a log scale: straight lines, because on this quadratic bowl every step removes \
      the same fraction of the remaining error (linear convergence), until the error reaches \
      Float32 rounding near 1e-15. The Sobel kernel has more weights to fit but converges at a \
      similar rate.
      """)

    // Step 3: the learned kernel works on a digit it never saw.
    page.step("The learned kernel on a digit")
    let digit = try page.dataset(.test, atLeast: 1, for: "a digit to filter").image(0).asImageBatch()
    let target = Tensor(shape: [1, 1, 3, 3], scalars: [-1, 0, 1, -2, 0, 2, -1, 0, 1])
    let byTarget = try Conv2D.directForward(input: digit, weight: target, bias: nil, stride: 1, padding: 1)
    let byLearned = try Conv2D.directForward(input: digit, weight: sobel.kernel, bias: nil, stride: 1, padding: 1)
    page.number("max |learned − true Sobel| on a test digit", byLearned.maxAbsDifference(byTarget),
                format: .scientific(2), key: "digit_response_difference")
    try page.figure("sobel-on-digit.png", Figures.panels([
      ("test digit", digit.plane(0, 0)), ("true Sobel x", byTarget.plane(0, 0)), ("learned kernel", byLearned.plane(0, 0)),
    ], signed: true, scale: 5), caption: """
      Trained only on random noise, the learned kernel responds to a real digit like the true \
      Sobel x: the middle and right panels should look identical.
      """)

    // Checks.
    page.check("learned [1, −1] within 1e-2 of the target", edge.error, atMost: 1e-2)
    page.check("learned Sobel within 1e-2 of the target", sobel.error, atMost: 1e-2)
    page.check("edge kernel: final loss below 1e-4 × initial",
               Double(edge.losses.last!) / Double(edge.losses[0]), below: 1e-4)
    page.check("Sobel: final loss below 1e-4 × initial",
               Double(sobel.losses.last!) / Double(sobel.losses[0]), below: 1e-4)

    page.tryThis("""
      In `Lessons/07-LearningAKernel.swift`, change the Sobel `learningRate` from 0.2 to 0.6. The \
      loss curve turns into a zig-zag (each step overshoots the bottom of the bowl) and around 0.9 \
      it diverges; with 0.02 it is still far from the target after the same number of steps and the \
      checks fail.
      """)
  }

  /// The outcome of fitting one kernel.
  struct Fit {
    var kernel: Tensor  // (1, 1, K, K)
    var losses: [Float]
    var snapshots: [(step: Int, kernel: Tensor)]
    var error: Float
  }

  /// Fits a fresh Conv2D (no bias) to reproduce `target` by SGD on MSE, on random images.
  func learn(target: Tensor, padding: Int, steps: Int, learningRate: Float, stream: UInt64, page: Page) throws -> Fit {
    var generator = page.generator(stream: stream)
    let k = target.shape[2]
    let layer = try Conv2D(inChannels: 1, outChannels: 1, kernelSize: k, padding: padding, usesBias: false,
                       algorithm: .direct, using: &generator)
    let optimizer = try SGD(parameters: layer.parameters, learningRate: learningRate)
    var losses: [Float] = []
    var snapshots: [(step: Int, kernel: Tensor)] = []
    let snapshotSteps = Set([0, 1, 2, 4, 8, 16, steps])
    for step in 0...steps {
      if snapshotSteps.contains(step) { snapshots.append((step, layer.weight.value.plane(0, 0))) }
      let images = Tensor(randomNormal: [8, 1, 16, 16], using: &generator)
      let wanted = try Conv2D.directForward(input: images, weight: target, bias: nil, stride: 1, padding: padding)
      let predicted = try layer.forward(images, mode: .training)
      let (loss, gradient) = try meanSquaredError(predicted, wanted)
      losses.append(loss)
      if step == steps { break }
      optimizer.zeroGrad()
      _ = try layer.backward(gradient)
      optimizer.step()
    }
    let kernel = layer.weight.value
    return Fit(kernel: kernel, losses: losses, snapshots: snapshots, error: kernel.maxAbsDifference(target))
  }
}
