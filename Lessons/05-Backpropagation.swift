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
    // The input is kept away from ReLU's kink by `gradientCheckInput`, but the ReLU sits *behind*
    // the first layer: it sees z = xWᵀ + b. If some z is within one finite-difference step's
    // reach of 0, L(θ + h) and L(θ − h) straddle the kink and the numeric derivative is a
    // half-and-half average of two slopes, while backward (correctly) uses one: a relative error
    // up to 1.0 on `input`, `0.weight` and `0.bias` at once. That failed 17 of 50 seeds. So the
    // draw is repeated (same stream, deterministic) until every |z| clears the step's reach.
    var smallGenerator = page.generator(stream: 50)
    var draws = 0
    var drawn: (first: Dense, second: Dense, input: Tensor)?
    while drawn == nil {
      draws += 1
      guard draws <= 1000 else {
        throw CNNError("chapter 5: no network in 1000 draws keeps ReLU's kink out of the gradient check's step")
      }
      let first = try Dense(inputSize: 12, outputSize: 8, using: &smallGenerator)
      let second = try Dense(inputSize: 8, outputSize: 10, using: &smallGenerator)
      let input = Tensor(gradientCheckInput: [4, 12], using: &smallGenerator)
      if try kinkClearance(first, input: input) > 1.5 { drawn = (first, second, input) }
    }
    let small = Sequential(drawn!.first, ReLU(), drawn!.second)
    let smallInput = drawn!.input
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
      "Away from the kink" matters: if a hidden pre-activation $z$ lies within reach of one step
      of 0, $L(\\theta+h)$ and $L(\\theta-h)$ fall on different sides of it, the centred difference
      averages slope 0 and slope 1, and the check reports an error near 1 although backward is
      right. So the small network was drawn \(draws) time\(draws == 1 ? "" : "s") until every
      hidden $|z|$ exceeded 1.5 times the most one step can move it ($h \\cdot \\max(1, |W|, |x|)$).
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

/// How far the first layer's pre-activations z = xWᵀ + b stay from ReLU's kink at 0, in units of
/// the most one gradient-check step can move them. Perturbing x[n, j] by h moves z[n, k] by
/// h·W[k, j]; perturbing W[k, j] moves it by h·x[n, j]; perturbing b[k] by h. A clearance above 1
/// means no perturbation crosses the kink; the chapter asks for 1.5 to leave room for rounding.
func kinkClearance(_ layer: Dense, input: Tensor, step: Float = gradientCheckStep) throws -> Float {
  let z = try layer.forward(input, mode: .inference)
  let (n, outputs, inputs) = (input.shape[0], layer.outputSize, layer.inputSize)
  let w = layer.weight.value
  var clearance = Float.infinity
  for sample in 0..<n {
    let largestInput = (0..<inputs).map { abs(input[sample, $0]) }.max() ?? 0
    for unit in 0..<outputs {
      let largestWeight = (0..<inputs).map { abs(w[unit, $0]) }.max() ?? 0
      let reach = step * max(1, largestWeight, largestInput)
      clearance = min(clearance, abs(z[sample, unit]) / reach)
    }
  }
  return clearance
}
