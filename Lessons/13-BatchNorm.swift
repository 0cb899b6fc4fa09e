// Chapter 13: batch normalisation. Training (batch statistics) vs inference (running statistics),
// the backward pass derived term by term, activation histograms of a deeper plain CNN with and
// without batch norm, training at a high learning rate, and what evaluating in training mode breaks.

import CNN
import Foundation
import Plotting

/// Chapter 13: normalising each channel over the batch keeps activations in range and lets a deep
/// network train at a learning rate where the plain one does not.
struct BatchNormalisation: ExperimentChapter {
  static let number = 13
  static let slug = "batch-norm"
  static let title = "Batch normalisation: training vs inference, running statistics"

  /// The knobs of this chapter; "Try this" edits them.
  struct Knobs: Sendable {
    /// Output channels of each 3x3 convolution; a 2x2 max pool follows the 2nd and 4th.
    var channels = [8, 8, 16, 16, 32, 32]
    /// The ordinary learning rate (the plain network trains at it in a full run, slowly) and the high
    /// one (SGD, momentum below).
    var learningRate: Float = 0.05
    var highLearningRate: Float = 0.3
    var momentum: Float = 0.9
    /// Batch norm's running-statistics momentum (PyTorch's default).
    var batchNormMomentum: Float = 0.1
    var steps = 300
    var batchSize = 64
    var testCount = 2_000
    /// Quick mode (`--quick`, the tests).
    var quickSteps = 60
    var quickBatchSize = 32
    var quickTestCount = 300
  }

  static let defaultKnobs = Knobs()
  let settings: Knobs
  init(knobs: Knobs) { self.settings = knobs }
  init() { self.init(knobs: Self.defaultKnobs) }

  /// A run "trains" when its loss over the last tenth of the steps is below this;
  /// it "fails" when its loss is not finite or stays above `stalledLoss` (≈ chance, ln 10 = 2.303).
  /// NOTE (calibration, measured with these knobs): at the high rate the batch-norm network's final
  /// loss was 0.43 to 0.72 in quick runs over seeds 0–9 and 0.118, 0.082 in full runs (seeds 42, 7); the plain
  /// network's stayed at 2.30 to 2.35 (chance 2.303) in all of them, without diverging.
  static let trainedLoss = 1.0
  static let stalledLoss = 2.0
  /// The measured range the thresholds come from, as the page states it.
  static let calibrationSummary = """
    at the high rate, quick runs over seeds 0–9 ended with the batch-norm network's loss between \
    0.43 and 0.72 and the plain network's between 2.30 and 2.35; full runs (seeds 42 and 7) at 0.12 \
    and 0.08 against 2.31 and 2.31
    """

  static var experiments: [Experiment<Knobs>] {
    [
      Experiment(
        edit: "In `Lessons/13-BatchNorm.swift`, set `highLearningRate` to 3 (ten times higher).",
        prediction: """
          Batch norm does not make every rate safe (the last dense layer is not normalised, and \
          momentum multiplies the step): the batch-norm network no longer trains at this rate, its \
          final loss is not finite or stays above \(formatted(trainedLoss)), and the check that it \
          trains at the high rate fails.
          """,
        apply: { $0.highLearningRate = 3 },
        holds: { m, failed in
          !((m["batchnorm_high_final_loss"] ?? 0) < trainedLoss)
            && failed.contains { $0.hasPrefix("the batch-norm network trains at the high rate") }
        }),
      Experiment(
        edit: "Set `batchNormMomentum` to 0.",
        prediction: """
          The running statistics never move from their start (mean 0, variance 1), so inference \
          mode no longer normalises at all: the network trained at the ordinary rate, evaluated in \
          inference mode, falls at least 20 points below its accuracy with batch statistics.
          """,
        apply: { $0.batchNormMomentum = 0 },
        holds: { m, _ in
          guard let inference = m["accuracy_inference"], let batch = m["accuracy_training_mode_batch"] else { return false }
          return batch - inference >= 0.2
        }),
    ]
  }

  func run(_ page: Page) throws {
    let s = settings
    guard !s.channels.isEmpty, s.channels.allSatisfy({ $0 > 0 }) else {
      throw CNNError("BatchNormalisation: channels must list at least one positive count, got \(s.channels)")
    }
    guard s.batchNormMomentum >= 0 && s.batchNormMomentum <= 1 else {
      throw CNNError("BatchNormalisation: batchNormMomentum must be in [0, 1], got \(s.batchNormMomentum)")
    }
    guard s.learningRate > 0, s.highLearningRate > 0 else {
      throw CNNError("BatchNormalisation: learning rates must be positive, got \(s.learningRate) and \(s.highLearningRate)")
    }
    page.prose("""
      A deep network is a chain: each layer's input is the previous layer's output, whose scale drifts
      as the weights change. Batch normalisation (Ioffe & Szegedy, 2015) re-centres and re-scales each
      channel over the batch, then lets the network choose the scale it wants with two learned
      numbers per channel, $\\gamma$ and $\\beta$.
      """)
    page.code("Sources/CNN/Layers/BatchNorm2D.swift", "Sources/CNN/Check/GradientCheck.swift")

    try formulasStep(page)
    try checkLayer(page)
    try networkSteps(page)
    page.tryThis(Self.experiments)
  }

  // MARK: - The layer

  func formulasStep(_ page: Page) throws {
    page.step("Forward: batch statistics in training, running statistics at inference")
    page.prose("""
      For an input $(N, C, H, W)$ each channel $c$ has $M = N \\cdot H \\cdot W$ values. In training, the
      layer normalises them with their own mean and (biased) variance, and updates exponential running
      averages for later (momentum $m$ = \(formatted(settings.batchNormMomentum)); the running variance
      stores the unbiased estimate, as PyTorch does):
      """)
    page.math(
      #"\mu_c = \frac{1}{M}\sum x, \qquad \sigma_c^2 = \frac{1}{M}\sum (x - \mu_c)^2, \qquad \hat x = \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}, \qquad y = \gamma_c\,\hat x + \beta_c"#,
      #"\bar\mu_c \leftarrow (1-m)\,\bar\mu_c + m\,\mu_c, \qquad \bar\sigma_c^2 \leftarrow (1-m)\,\bar\sigma_c^2 + m\,\tfrac{M}{M-1}\,\sigma_c^2"#)
    page.prose("""
      At inference there is no batch to average over (a single image must get the same answer alone
      as in any batch), so the layer uses the running statistics instead:
      $y = \\gamma_c (x - \\bar\\mu_c)/\\sqrt{\\bar\\sigma_c^2 + \\epsilon} + \\beta_c$, a fixed affine map.
      """)

    page.step("Backward: three terms")
    page.prose("""
      In training, every output depends on every input of its channel through $\\mu_c$ and
      $\\sigma_c^2$. With $g = \\partial L/\\partial y$ and sums over the $M$ values of the channel, the
      parameters are easy: $\\partial L/\\partial\\gamma_c = \\sum g\\,\\hat x$ and
      $\\partial L/\\partial\\beta_c = \\sum g$. For the input, the chain rule through $\\hat x$ has three paths:
      directly, through $\\mu_c$, and through $\\sigma_c^2$:
      """)
    page.math(
      #"\frac{\partial L}{\partial \hat x} = \gamma_c\, g, \qquad \frac{\partial L}{\partial \sigma_c^2} = -\frac{1}{2}(\sigma_c^2+\epsilon)^{-3/2} \sum \frac{\partial L}{\partial \hat x}(x - \mu_c), \qquad \frac{\partial L}{\partial \mu_c} = -\frac{1}{\sqrt{\sigma_c^2+\epsilon}} \sum \frac{\partial L}{\partial \hat x}"#,
      #"\frac{\partial L}{\partial x} = \underbrace{\frac{\partial L}{\partial \hat x}\frac{1}{\sqrt{\sigma_c^2+\epsilon}}}_{\text{direct}} + \underbrace{\frac{\partial L}{\partial \sigma_c^2}\,\frac{2(x-\mu_c)}{M}}_{\text{through } \sigma^2} + \underbrace{\frac{\partial L}{\partial \mu_c}\,\frac{1}{M}}_{\text{through } \mu}"#,
      #"\phantom{\frac{\partial L}{\partial x}} = \frac{\gamma_c}{\sqrt{\sigma_c^2+\epsilon}}\Big(g - \frac{1}{M}\sum g - \hat x\,\frac{1}{M}\sum g\,\hat x\Big)"#)
    page.prose("""
      (The term through $\\mu_c$ also carries $\\partial\\sigma_c^2/\\partial\\mu_c = -\\frac{2}{M}\\sum(x-\\mu_c) = 0$,
      so it drops out.) The last line is what `BatchNorm2D.backward` computes: two sums per channel
      ($\\sum g$ and $\\sum g\\,\\hat x$, which are also $\\partial L/\\partial\\beta$ and $\\partial L/\\partial\\gamma$),
      then one pass over the values (threaded); the same formulas as plain loops are
      `BatchNorm2D.referenceForward` and `BatchNorm2D.referenceBackward` at the end of that file,
      which the library's tests hold the fast layer equal to. In words: the gradient of a normalised layer has its mean and its
      component along $\\hat x$ removed, because shifting or scaling a channel's input changes nothing
      after normalisation.
      """)
  }

  func checkLayer(_ page: Page) throws {
    page.step("The layer, checked")
    // Gradient check in training mode, with γ and β away from 1 and 0 so both are exercised.
    var generator = page.generator(stream: 130)
    let layer = try BatchNorm2D(channels: 3)
    layer.scale.value = Tensor(randomNormal: [3], using: &generator)
    layer.offset.value = Tensor(randomNormal: [3], using: &generator)
    let input = Tensor(randomNormal: [2, 3, 4, 4], using: &generator) * 2
    let report = try gradientCheck(layer, input: input, seed: page.seed, mode: .training)
    page.table(headers: ["gradient", "max relative error"], rows: report.entries.map {
      [$0.name, formatted($0.maxRelativeError, .scientific(2))]
    })
    page.prose("""
      The gradient check of chapter 5 (central differences with $h = \(formatted(gradientCheckStep))$ on a
      (2, 3, 4, 4) input, random $\\gamma$ and $\\beta$) in training mode, where all three terms matter:
      largest relative error \(formatted(report.maxRelativeError, .scientific(2))).
      """)
    page.check("gradient check in training mode", report.maxRelativeError, atMost: Double(gradientCheckTolerance))

    // Running statistics against PyTorch.
    let fixture = try Fixture.pyTorch("batchnorm2d")
    let scale = try fixture.tensor("scale")
    let reference = try BatchNorm2D(
      channels: scale.count, momentum: try fixture.float("momentum"), epsilon: try fixture.float("epsilon"))
    reference.scale.value = scale
    reference.offset.value = try fixture.tensor("offset")
    var statisticsError: Float = 0
    var outputError: Float = 0
    let steps = try fixture.children("steps")
    for step in steps {
      let output = try reference.forward(try step.tensor("input"), mode: .training)
      outputError = max(outputError, output.maxAbsDifference(try step.tensor("output")))
      statisticsError = max(statisticsError, reference.runningMean.value.maxAbsDifference(try step.tensor("runningMean")))
      statisticsError = max(statisticsError, reference.runningVariance.value.maxAbsDifference(try step.tensor("runningVariance")))
    }
    let evalOutput = try reference.forward(try fixture.tensor("evalInput"), mode: .inference)
    let evalError = evalOutput.maxAbsDifference(try fixture.tensor("evalOutput"))
    page.number("running statistics: max |ours − PyTorch|", statisticsError, format: .scientific(2), key: "running_statistics_error")
    page.number("inference output: max |ours − PyTorch|", evalError, format: .scientific(2), key: "inference_output_error")
    page.prose("""
      PyTorch's `nn.BatchNorm2d(\(scale.count))` ran \(steps.count) training steps on different batches
      (`Tests/CNNTests/Fixtures/batchnorm2d.json`); the same steps here give running means and variances
      within \(formatted(statisticsError, .scientific(1))) of PyTorch's after every step, training outputs
      within \(formatted(outputError, .scientific(1))), and the inference output from the running statistics
      within \(formatted(evalError, .scientific(1))).
      """)
    page.check("running statistics after \(steps.count) steps match PyTorch", statisticsError, atMost: 1e-5)
    page.check("inference output from running statistics matches PyTorch", evalError, atMost: 1e-5)
  }

  // MARK: - A deeper network

  /// What one training run measured.
  struct RunResult {
    var losses: [Double] = []
    /// The step at which the loss stopped being finite, if it did.
    var divergedAt: Int?
    var testAccuracy: Double = 0
    var seconds: Double = 0
    /// The mean loss over the last tenth of the steps (infinite after divergence).
    var finalLoss: Double {
      if divergedAt != nil { return .infinity }
      let tail = losses.suffix(max(1, losses.count / 10))
      return tail.reduce(0, +) / Double(tail.count)
    }
  }

  func networkSteps(_ page: Page) throws {
    let s = settings
    let steps = page.isQuick ? s.quickSteps : s.steps
    let batchSize = page.isQuick ? s.quickBatchSize : s.batchSize
    let fullTrain = try page.dataset(.train, atLeast: batchSize, for: "one training batch")
    let fullTest = try page.dataset(.test, atLeast: 1, for: "measuring the test accuracy")
    let trainCount = min(steps * batchSize, fullTrain.count)
    let testCount = min(page.isQuick ? s.quickTestCount : s.testCount, fullTest.count)
    guard steps > 0, trainCount >= batchSize, testCount > 0 else {
      throw CNNError("BatchNormalisation: needs at least 1 step and \(batchSize) training images, got \(steps) steps and \(trainCount) images")
    }
    let train = try fullTrain.subset(0..<trainCount)
    let test = try fullTest.subset(0..<testCount)

    page.step("A deeper plain CNN, with and without batch norm")
    var generator = page.generator(stream: 13)
    let probe = try Self.network(channels: s.channels, batchNorm: true, momentum: s.batchNormMomentum, using: &generator)
    page.prose("""
      \(s.channels.count) convolutions (3x3, padding 1, He initialisation) with ReLU, 2x2 max pooling after the
      second and fourth, global average pooling and one dense layer:
      `\(probe.summary)`. The plain network is the same without the `BatchNorm2D` layers (its
      convolutions get a bias instead, which batch norm's $\\beta$ makes redundant). Both start from
      the same convolution weights and see the same batches of \(batchSize) images.
      """)

    // The normalised output of every batch-norm layer, in training mode at initialisation.
    let sample = try gather(images: train.images, indices: Array(0..<min(256, trainCount)))
    var worstMean = 0.0
    var worstVariance = 0.0
    let savedProbe = probe.buffers.map(\.value)
    let probeOutputs = try probe.activations(sample, mode: .training)
    for (layer, output) in zip(probe.layers, probeOutputs) where layer is BatchNorm2D {
      let (means, variances) = Self.channelMoments(output)
      worstMean = max(worstMean, means.map(abs).max() ?? 0)
      worstVariance = max(worstVariance, variances.map { abs($0 - 1) }.max() ?? 0)
    }
    for (buffer, value) in zip(probe.buffers, savedProbe) { buffer.value = value }
    page.number("largest |channel mean| of a normalised output", worstMean, format: .scientific(2), key: "normalised_mean_error")
    page.number("largest |channel variance − 1| of a normalised output", worstVariance, format: .scientific(2), key: "normalised_variance_error")
    page.prose("""
      At initialisation ($\\gamma = 1$, $\\beta = 0$) the output of each batch-norm layer on a batch of
      \(sample.shape[0]) images is $\\hat x$: every channel of every layer has mean within
      \(formatted(worstMean, .scientific(1))) of 0 and variance within \(formatted(worstVariance, .scientific(1))) of 1
      (the variance is $\\sigma^2/(\\sigma^2 + \\epsilon)$, a hair below 1).
      """)
    page.check("normalised output: every channel's mean within 1e-3 of 0", worstMean, atMost: 1e-3)
    page.check("normalised output: every channel's variance within 1e-2 of 1", worstVariance, atMost: 1e-2)

    // Four runs: {plain, batch norm} × {ordinary, high} learning rate.
    let plain = try trainRun(batchNorm: false, learningRate: s.learningRate, steps: steps, batchSize: batchSize,
                             train: train, test: test, page: page, label: "plain, rate \(formatted(s.learningRate))")
    let normed = try trainRun(batchNorm: true, learningRate: s.learningRate, steps: steps, batchSize: batchSize,
                              train: train, test: test, page: page, label: "batch norm, rate \(formatted(s.learningRate))")
    let plainHigh = try trainRun(batchNorm: false, learningRate: s.highLearningRate, steps: steps, batchSize: batchSize,
                                 train: train, test: test, page: page, label: "plain, rate \(formatted(s.highLearningRate))")
    let normedHigh = try trainRun(batchNorm: true, learningRate: s.highLearningRate, steps: steps, batchSize: batchSize,
                                  train: train, test: test, page: page, label: "batch norm, rate \(formatted(s.highLearningRate))")

    // Histograms at initialisation and after training (ordinary rate).
    page.step("Activation histograms per layer")
    var initGenerator = page.generator(stream: 13)
    let plainInit = try Self.network(channels: s.channels, batchNorm: false, momentum: s.batchNormMomentum, using: &initGenerator)
    initGenerator = page.generator(stream: 13)
    let normedInit = try Self.network(channels: s.channels, batchNorm: true, momentum: s.batchNormMomentum, using: &initGenerator)
    let panels: [(String, [[Double]])] = [
      ("plain, at initialisation", try Self.preActivations(plainInit, sample)),
      ("batch norm, at initialisation", try Self.preActivations(normedInit, sample)),
      ("plain, after \(steps) steps", try Self.preActivations(plain.model, sample)),
      ("batch norm, after \(steps) steps", try Self.preActivations(normed.model, sample)),
    ]
    let deviations = panels.map { $0.1.map { Self.standardDeviation($0) } }
    page.table(headers: ["standard deviation of the input to each ReLU"] + (1...s.channels.count).map { "conv \($0)" },
               rows: zip(panels, deviations).map { panel, stds in [panel.0] + stds.map { formatted($0, .fixed(3)) } })
    let range = panels.flatMap { $0.1.map { Self.percentile(of: $0.map(abs), 0.995) } }.max() ?? 1
    try page.figure("histograms.png", Figures.stack(stride(from: 0, to: 4, by: 2).map { row in
      Figures.stack((row..<row + 2).map { i in
        Self.histogramChart(panels[i].1, range: range, title: panels[i].0)
      }, horizontally: true)
    }, horizontally: false), caption: """
      Values entering each ReLU, layer by layer, with and without batch norm. The distribution of \
      the values entering each ReLU (the convolution's output in the plain \
      network, the batch-norm output in the other), one line per layer, on a batch of \
      \(sample.shape[0]) training images in training mode; all four panels share the x axis \
      (±\(formatted(range, .fixed(2))), the 99.5th percentile of |value| over all panels). \
      The table above lists each layer's standard deviation: with batch norm every layer's \
      input is centred with a spread set by $\\gamma$; without it each layer's spread is whatever \
      the weights make it.
      """)

    // Loss curves.
    page.step("Training at a high learning rate")
    page.table(
      headers: ["network", "learning rate", "final loss (last tenth of steps)", "test accuracy", "diverged at step", "time"],
      rows: [("plain", s.learningRate, plain), ("batch norm", s.learningRate, normed),
             ("plain", s.highLearningRate, plainHigh), ("batch norm", s.highLearningRate, normedHigh)].map { name, rate, r in
        [name, formatted(rate), r.result.finalLoss.isFinite ? formatted(r.result.finalLoss, .fixed(3)) : "not finite",
         percent(r.result.testAccuracy), r.result.divergedAt.map { "\($0)" } ?? "–", formatted(r.result.seconds, .seconds)]
      })
    page.number("plain, ordinary rate: final loss", plain.result.finalLoss, format: .fixed(3), key: "plain_final_loss")
    page.number("batch norm, ordinary rate: final loss", normed.result.finalLoss, format: .fixed(3), key: "batchnorm_final_loss")
    page.number("plain, high rate: final loss", plainHigh.result.finalLoss, format: .fixed(3), key: "plain_high_final_loss")
    page.number("batch norm, high rate: final loss", normedHigh.result.finalLoss, format: .fixed(3), key: "batchnorm_high_final_loss")
    page.number("batch norm, high rate: test accuracy", normedHigh.result.testAccuracy, format: .percent(2), key: "batchnorm_high_test_accuracy")
    page.number("training time, all four runs",
                [plain, normed, plainHigh, normedHigh].reduce(0) { $0 + $1.result.seconds }, format: .seconds, key: "training_seconds")
    let lnTen = log(10.0)
    let smoothed = { (r: RunResult) in Self.runningMean(r.losses) }
    try page.figure("loss-high-rate.png", lineChart([
      Series("plain, \(formatted(s.learningRate))", y: smoothed(plain.result), color: Color.palette[0], dashed: true),
      Series("batch norm, \(formatted(s.learningRate))", y: smoothed(normed.result), color: Color.palette[1], dashed: true),
      Series("plain, \(formatted(s.highLearningRate))", y: smoothed(plainHigh.result), color: Color.palette[0]),
      Series("batch norm, \(formatted(s.highLearningRate))", y: smoothed(normedHigh.result), color: Color.palette[1]),
      Series("chance: ln 10", y: Array(repeating: lnTen, count: steps), color: Color(150, 150, 150), dashed: true),
    ], title: "training loss (running mean of 10 batches)", xLabel: "step", yLabel: "cross-entropy (log scale)",
      logY: true, width: 900, height: 460), caption: """
      Training loss with and without batch norm, at an ordinary and a high learning rate. \
      The four runs (running mean over 10 batches, log scale): dashed at the \
      ordinary rate \(formatted(s.learningRate)), solid at the high rate \(formatted(s.highLearningRate)); the grey \
      line is chance, ln 10. \(Self.describe("The plain network at the high rate", plainHigh.result)) \
      \(Self.describe("The batch-norm network at the high rate", normedHigh.result))
      """)
    page.prose("""
      Why it helps: without normalisation, a large step that makes one layer's weights bigger makes
      every later layer's input bigger too, and the next gradients bigger still. With batch norm each
      layer's output is rescaled to unit variance whatever the scale of its weights, so the network's
      function does not change when a convolution's weights are scaled up, and the effective step
      shrinks as the weights grow instead of compounding.
      """)
    page.prose("""
      The checks below call a run "trained" when its loss over the last tenth of the steps is below
      \(formatted(Self.trainedLoss)) and "failed" when the loss is not finite or stays above
      \(formatted(Self.stalledLoss)) (chance is ln 10 = 2.303). The thresholds were set from measured
      runs with these knobs: \(Self.calibrationSummary).
      """)
    page.check("the batch-norm network trains at the high rate (final loss < \(formatted(Self.trainedLoss)))",
               normedHigh.result.finalLoss, below: Self.trainedLoss)
    page.check("the plain network fails at the high rate (diverges or final loss > \(formatted(Self.stalledLoss)))",
               !(plainHigh.result.finalLoss <= Self.stalledLoss))

    // Evaluating in training mode.
    page.step("Evaluating in training mode: statistics of one image")
    let model = normed.model
    let saved = model.buffers.map(\.value)
    let inferenceAccuracy = Double(try accuracy(logits: try Trainer.predict(model, images: test.images), labels: test.labels))
    var batchCorrect = 0
    for start in stride(from: 0, to: testCount, by: 100) {
      let range = start..<min(start + 100, testCount)
      let logits = try model.forward(test.images.slice(range), mode: .training)
      batchCorrect += zip(logits.argmaxRows(), test.labels[range]).filter { $0 == $1 }.count
    }
    var singleCorrect = 0
    for i in 0..<testCount {
      let logits = try model.forward(test.images.slice(i..<(i + 1)), mode: .training)
      if logits.argmaxRows()[0] == test.labels[i] { singleCorrect += 1 }
    }
    // Training-mode passes also moved the running statistics: put them back.
    for (buffer, value) in zip(model.buffers, saved) { buffer.value = value }
    let batchAccuracy = Double(batchCorrect) / Double(testCount)
    let singleAccuracy = Double(singleCorrect) / Double(testCount)
    page.table(headers: ["evaluated with", "test accuracy"], rows: [
      ["inference mode (running statistics)", percent(inferenceAccuracy)],
      ["training mode, batches of 100 (batch statistics)", percent(batchAccuracy)],
      ["training mode, one image at a time (its own statistics)", percent(singleAccuracy)],
    ])
    page.number("accuracy, inference mode", inferenceAccuracy, format: .percent(2), key: "accuracy_inference")
    page.number("accuracy, training mode, batches of 100", batchAccuracy, format: .percent(2), key: "accuracy_training_mode_batch")
    page.number("accuracy, training mode, batch of 1", singleAccuracy, format: .percent(2), key: "accuracy_training_mode_single")
    page.prose("""
      The batch-norm network trained at the ordinary rate, on \(formatted(testCount)) test images. In
      inference mode it scores \(percent(inferenceAccuracy)); left in training mode with batches of 100
      (each batch normalised with its own statistics) it scores \(percent(batchAccuracy)).
      \(abs(batchAccuracy - inferenceAccuracy) > 0.02
        ? "The difference is the running statistics lagging behind: with momentum \(formatted(settings.batchNormMomentum)) they average roughly the last \(Int((1 / max(settings.batchNormMomentum, 1e-6)).rounded())) batches, taken while the weights were still changing, so they no longer quite match what the final weights produce."
        : "The two agree closely: the running statistics have caught up with the final weights.")
      One image at a time in training mode, each channel is normalised over that one image's pixels:
      the first layer's output loses the image's overall brightness and contrast in every channel,
      and so on down the network, and the accuracy is \(percent(singleAccuracy)) (chance is 10%).
      In training mode the prediction for an image also depends on which other images share its
      batch, and every pass overwrites the running statistics, which is why the code above saves and
      restores them. Inference mode exists for exactly this reason.
      """)
    page.check("one image in training mode scores lower than inference mode", singleAccuracy < inferenceAccuracy)
  }

  /// A model with its training curve.
  struct TrainedRun {
    let model: Sequential
    let result: RunResult
  }

  /// Trains a fresh network for `steps` SGD steps (momentum from settings), stopping at a
  /// non-finite loss; evaluates on `test` in inference mode.
  func trainRun(
    batchNorm: Bool, learningRate: Float, steps: Int, batchSize: Int, train: Dataset, test: Dataset,
    page: Page, label: String
  ) throws -> TrainedRun {
    var generator = page.generator(stream: 13)
    let model = try Self.network(channels: settings.channels, batchNorm: batchNorm, momentum: settings.batchNormMomentum,
                                 using: &generator)
    let optimizer = try SGD(parameters: model.parameters, learningRate: learningRate, momentum: settings.momentum)
    let trainer = try Trainer(model: model, optimizer: optimizer, batchSize: batchSize, seed: page.seed)
    let batches = try MiniBatches(count: train.count, batchSize: batchSize, seed: page.seed).batches(epoch: 0)
    var result = RunResult()
    let start = ContinuousClock.now
    let progress = page.progress(label, total: steps)
    for step in 0..<steps {
      let batch = batches[step % batches.count]
      let images = try gather(images: train.images, indices: batch)
      // The trainer stops a step whose loss is not finite with a one-line error: here that is the
      // measurement (divergence at a high rate), so it is recorded instead of ending the chapter.
      var loss = Float.nan
      do {
        loss = try trainer.step(images: images, labels: batch.map { train.labels[$0] }).loss
      } catch let error as CNNError where "\(error)".contains("not a finite number") {
        loss = .nan
      }
      guard loss.isFinite else {
        result.divergedAt = step
        progress.finish(status: "loss \(loss) at step \(step): diverged")
        break
      }
      result.losses.append(Double(loss))
      progress.advance(by: 1, status: "loss \(formatted(loss, .fixed(3)))")
    }
    if result.divergedAt == nil {
      result.testAccuracy = Double(try accuracy(logits: try Trainer.predict(model, images: test.images), labels: test.labels))
      progress.finish(status: "final loss \(formatted(result.finalLoss, .fixed(3))), test \(percent(result.testAccuracy))")
    }
    let elapsed = ContinuousClock.now - start
    result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return TrainedRun(model: model, result: result)
  }

  /// `channels.count` 3x3 convolutions, each followed by batch norm (optional) and ReLU, a 2x2
  /// max pool after the 2nd and 4th, then global average pooling and a dense layer to 10 logits.
  ///
  ///     (N, 1, 28, 28) → [conv 3x3 → (BN) → ReLU] × 2 → pool → × 2 → pool → × 2 → avg pool 7 → dense 10
  ///
  /// The convolution weights are drawn in the same order with or without batch norm, so both
  /// networks start from the same weights.
  static func network(channels: [Int], batchNorm: Bool, momentum: Float, using generator: inout SeededGenerator) throws -> Sequential {
    var layers: [Layer] = []
    var inChannels = 1
    var side = 28
    for (index, outChannels) in channels.enumerated() {
      layers.append(try Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, padding: 1,
                           usesBias: !batchNorm, using: &generator))
      if batchNorm { layers.append(try BatchNorm2D(channels: outChannels, momentum: momentum)) }
      layers.append(ReLU())
      if (index == 1 || index == 3) && index < channels.count - 1 {
        layers.append(try MaxPool2D(kernelSize: 2))
        side /= 2
      }
      inChannels = outChannels
    }
    layers.append(try AvgPool2D(kernelSize: side))
    layers.append(Flatten())
    layers.append(try Dense(inputSize: inChannels, outputSize: 10, using: &generator))
    return Sequential(layers)
  }

  /// The values entering each ReLU for `images`, in training mode (batch statistics); the running
  /// statistics are restored afterwards.
  static func preActivations(_ model: Sequential, _ images: Tensor) throws -> [[Double]] {
    let saved = model.buffers.map(\.value)
    defer { for (buffer, value) in zip(model.buffers, saved) { buffer.value = value } }
    let outputs = try model.activations(images, mode: .training)
    var result: [[Double]] = []
    for (index, layer) in model.layers.enumerated() where layer is ReLU && index > 0 {
      result.append(outputs[index - 1].scalars.map(Double.init))
    }
    return result
  }

  /// Per-channel mean and (biased) variance of an (N, C, H, W) tensor.
  static func channelMoments(_ x: Tensor) -> (means: [Double], variances: [Double]) {
    let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    var means: [Double] = []
    var variances: [Double] = []
    for channel in 0..<c {
      var values: [Double] = []
      for image in 0..<n {
        let base = (image * c + channel) * plane
        values += x.scalars[base..<base + plane].map(Double.init)
      }
      let mean = values.reduce(0, +) / Double(values.count)
      means.append(mean)
      variances.append(values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count))
    }
    return (means, variances)
  }

  static func standardDeviation(_ values: [Double]) -> Double {
    let mean = values.reduce(0, +) / Double(max(values.count, 1))
    return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count, 1))).squareRoot()
  }

  static func percentile(of values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))]
  }

  /// A running mean over `window` values (shorter at the start).
  static func runningMean(_ values: [Double], window: Int = 10) -> [Double] {
    var result: [Double] = []
    var sum = 0.0
    for (i, v) in values.enumerated() {
      sum += v
      if i >= window { sum -= values[i - window] }
      result.append(sum / Double(min(i + 1, window)))
    }
    return result
  }

  /// One line per layer: the fraction of values in each of 60 bins over [−range, range].
  static func histogramChart(_ layers: [[Double]], range: Double, title: String) -> Image {
    let bins = 60
    let width = 2 * range / Double(bins)
    let centres = (0..<bins).map { -range + (Double($0) + 0.5) * width }
    let series = layers.enumerated().map { index, values in
      var counts = [Double](repeating: 0, count: bins)
      for v in values where abs(v) <= range {
        counts[min(bins - 1, Int((v + range) / width))] += 1
      }
      return Series("conv \(index + 1)", x: centres, y: counts.map { $0 / Double(max(values.count, 1)) },
                    color: Color.palette[index % Color.palette.count])
    }
    return lineChart(series, title: title, xLabel: "value entering the ReLU", yLabel: "fraction of values",
                     logY: true, width: 490, height: 340)
  }

  static func describe(_ name: String, _ result: RunResult) -> String {
    if let step = result.divergedAt { return "\(name) diverged: its loss stopped being finite at step \(step)." }
    let loss = result.finalLoss
    if loss > stalledLoss { return "\(name) stalled near chance (final loss \(formatted(loss, .fixed(2))))." }
    if loss < trainedLoss { return "\(name) trained (final loss \(formatted(loss, .fixed(2))))." }
    return "\(name) learned slowly (final loss \(formatted(loss, .fixed(2))))."
  }
}
