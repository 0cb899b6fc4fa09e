// Chapter 5: backpropagation from first principles on a small fully connected network: dense,
// ReLU, softmax with cross-entropy, and the centred differences that prove each gradient right.

import CNN
import Foundation

/// Chapter 5: every gradient the network computes by hand agrees with a numerical derivative.
struct Backpropagation: Chapter {
  static let number = 5
  static let slug = "backpropagation"
  static let title = "Backpropagation from first principles"

  func run(_ page: Page) throws {
    page.prose("""
      Training needs $\\partial L / \\partial \\theta$ for every weight. Backpropagation gets them
      all in one backward sweep: each layer receives $\\partial L/\\partial Y$ (`gradOutput`), adds
      its parameters' gradients, and returns $\\partial L/\\partial X$ (`gradInput`) to the layer
      before it. For the three pieces of a classifier:
      """)
    page.math(
      #"\text{Dense } Y = XW^\top + b: \quad \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} W,\quad \frac{\partial L}{\partial W} = \Big(\frac{\partial L}{\partial Y}\Big)^{\!\top} X,\quad \frac{\partial L}{\partial b} = \sum_n \frac{\partial L}{\partial Y_n}"#,
      #"\text{ReLU } Y = \max(X, 0): \quad \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} \cdot [X > 0]"#,
      #"p = \mathrm{softmax}(z),\ L = -\frac{1}{N}\sum_n \ln p_{n, t_n}: \quad \frac{\partial L}{\partial z} = \frac{1}{N}\,(p - \mathrm{onehot}(t))"#)
    page.code("Sources/CNN/Layers/Dense.swift", "Sources/CNN/Layers/ReLU.swift",
              "Sources/CNN/Losses/SoftmaxCrossEntropy.swift", "Sources/CNN/Check/GradientCheck.swift")

    // Step 1: an untrained network is uniformly unsure.
    page.step("An untrained network: loss ln 10")
    let batchSize = page.isQuick ? 128 : 512
    let train = try page.dataset(.train, atLeast: batchSize, for: "one batch of \(batchSize)")
    let batch = try train.subset(0..<batchSize)
    let inputs = batch.images.reshaped(to: [batchSize, 784])
    var generator = page.generator(stream: 5)
    let hidden = try Dense(inputSize: 784, outputSize: 64, using: &generator)
    let output = try Dense(inputSize: 64, outputSize: 10, using: &generator)
    // A small output layer makes every logit near 0, so softmax starts near 1/10 per class.
    output.weight.value = output.weight.value * 0.01
    let network = Sequential(hidden, ReLU(), output)
    let logits = try network.forward(inputs, mode: .training)
    let (loss, gradLogits) = try softmaxCrossEntropy(logits: logits, labels: batch.labels)
    page.number("untrained loss", loss, key: "untrained_loss")
    page.number("ln 10", log(10.0))
    page.prose("""
      With its output layer initialised small, the network gives every digit about the same
      probability, so the cross-entropy on \(batchSize) training images is
      \(formatted(loss)), close to $\\ln 10 = \(formatted(log(10.0)))$. A first loss far from
      $\\ln C$ is the cheapest bug detector there is: it catches wrong labels, a missing softmax or
      an initialisation that is far too large.
      """)

    // Step 2: softmax turns logits into probabilities.
    page.step("Softmax rows sum to 1")
    let probabilities = softmax(logits)
    var worstRowSum: Float = 0
    for n in 0..<batchSize {
      let rowSum = probabilities.scalars[n * 10..<(n + 1) * 10].reduce(0, +)
      worstRowSum = max(worstRowSum, abs(rowSum - 1))
    }
    page.number("max |row sum − 1|", worstRowSum, key: "softmax_row_sum_error")
    let huge = softmax(Tensor(shape: [1, 3], scalars: [1000, 999, -1000]))
    page.prose("""
      Softmax subtracts each row's maximum before `exp`, so even logits of 1000 do not overflow:
      softmax([1000, 999, −1000]) = [\(huge.scalars.map { formatted($0) }.joined(separator: ", "))].
      """)
    // Stretch image 0's logits until they span 10 units, as a trained network's typically do.
    let row0 = logits.slice(0..<1)
    let stretch = 10 / max(row0.max() - row0.min(), 1e-6)
    let trainedLike = softmax(row0 * stretch)
    try page.figure("softmax.png", Figures.bars(
      [("untrained", (0..<10).map { Double(probabilities[0, $0]) }),
       ("logits x \(Int(stretch.rounded()))", (0..<10).map { Double(trainedLike[0, $0]) })],
      labels: (0..<10).map(String.init), title: "softmax probabilities for image 0 (label \(batch.labels[0]))"),
      caption: """
      Softmax of the untrained network's logits for one image (all bars near 0.1) and of the same \
      logits stretched to span 10 units, as a trained network's do: the largest logit takes nearly \
      all the probability, because softmax is exponential in the gaps between logits.
      """)

    // Step 3: the gradient check, parameter by parameter.
    page.step("Every gradient against centred differences")
    page.math(#"\frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + h e_i) - L(\theta - h e_i)}{2h}, \qquad \text{error} = \frac{|a - n|}{\max(\epsilon, |a| + |n|)}"#)
    // A smaller network and batch so every one of its weights can be perturbed twice.
    var smallGenerator = page.generator(stream: 50)
    let small = Sequential(
      try Dense(inputSize: 12, outputSize: 8, using: &smallGenerator), ReLU(),
      try Dense(inputSize: 8, outputSize: 10, using: &smallGenerator))
    let smallInput = Tensor(gradientCheckInput: [4, 12], using: &smallGenerator)
    let report = try gradientCheck(small, input: smallInput, seed: page.seed)
    let lossInput = Tensor(randomNormal: [4, 10], using: &smallGenerator)
    let labels = [3, 1, 4, 1]
    let lossReport = try gradientCheck(input: lossInput) { z in
      let (value, gradient) = try softmaxCrossEntropy(logits: z, labels: labels)
      return (value, gradient)
    }
    var rows = report.comparisons.map { comparison in
      [comparison.name, "\(comparison.analytic.shape)", formatted(comparison.maxRelativeError, .scientific(2))]
    }
    rows.append(["softmax cross-entropy logits", "\(lossInput.shape)", formatted(lossReport.maxRelativeError, .scientific(2))])
    page.table(headers: ["tensor", "shape", "max relative error"], rows: rows)
    let worst = max(report.maxRelativeError, lossReport.maxRelativeError)
    page.number("worst relative error", worst, format: .scientific(2), key: "max_relative_error")
    var numeric: [Double] = []
    var analytic: [Double] = []
    for comparison in report.comparisons + lossReport.comparisons {
      numeric += comparison.numeric.scalars.map(Double.init)
      analytic += comparison.analytic.scalars.map(Double.init)
    }
    try page.figure("gradient-scatter.png", Figures.scatter(
      x: numeric, y: analytic, xLabel: "numeric (centred differences)", yLabel: "analytic (backward)",
      title: "\(numeric.count) gradient elements"), caption: """
      Every gradient element of the small network and the loss: analytic (backward pass) against \
      numeric (centred differences). All points sit on the diagonal; a wrong formula would scatter \
      them off it, usually by a factor or a sign.
      """)
    page.prose("""
      The check perturbs every one of the \(numeric.count) numbers twice with $h = \(formatted(gradientCheckStep))$
      in Float32, summing the loss in Double. Dense and ReLU are piecewise linear, so away from
      ReLU's kink at 0 the only error is Float rounding; the worst relative error is
      \(formatted(worst, .scientific(2))), against a tolerance of \(formatted(gradientCheckTolerance)).
      """)

    // Step 4: one gradient step lowers the loss.
    page.step("One step downhill")
    network.zeroGrad()
    _ = try network.backward(gradLogits)
    for parameter in network.parameters { parameter.value.add(parameter.grad, scaledBy: -0.1) }
    let after = try softmaxCrossEntropy(logits: network.forward(inputs, mode: .inference), labels: batch.labels).loss
    page.number("loss after one step of size 0.1", after, key: "loss_after_one_step")
    page.prose("""
      Moving every parameter by $-0.1\\,\\partial L/\\partial\\theta$ lowers the loss on this batch
      from \(formatted(loss)) to \(formatted(after)): the gradients point the right way.
      """)

    // Checks.
    for comparison in report.comparisons {
      page.check("gradient check: \(comparison.name)", comparison.maxRelativeError, atMost: Double(gradientCheckTolerance))
    }
    page.check("gradient check: softmax cross-entropy", lossReport.maxRelativeError, atMost: Double(gradientCheckTolerance))
    page.check("untrained loss is ln 10", loss, closeTo: log(10.0), tolerance: 0.05)
    page.check("softmax rows sum to 1", worstRowSum, atMost: 1e-6)
    page.check("one gradient step lowers the loss", after < loss)

    page.tryThis("""
      In `Lessons/05-Backpropagation.swift`, delete the line that scales `output.weight` by 0.01. \
      The untrained loss moves away from ln 10 (He initialisation makes confident, random logits) \
      and the "untrained loss is ln 10" check fails.
      """)
    page.tryThis("""
      Open `Sources/CNN/Layers/ReLU.swift` and let the gradient through where the input is \
      negative too. `cnn-lessons run 5` then reports a large relative error for the first layer's \
      weights and its check fails: the gradient checker bites.
      """)
  }
}
