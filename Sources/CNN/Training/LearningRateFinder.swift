// The learning-rate finder (a "range test"): train for a few hundred batches while the rate grows
// exponentially from tiny to huge, and watch the loss. Too small a rate: the loss does not move.
// Too large: it explodes. The useful rates lie on the descending stretch in between.

import Foundation

/// An exponential learning-rate sweep over mini-batches, with the suggested rate.
///
///     η_i = η_start · (η_end / η_start)^(i / (steps − 1)),   i = 0 … steps − 1
///     ℓ̄_i = (β ℓ̄'_{i−1} + (1 − β) ℓ_i) / (1 − β^(i+1))      (running mean, bias-corrected)
///
/// The sweep stops early when ℓ̄ exceeds `divergenceFactor` × its minimum so far, or a loss is
/// not finite. The suggestion is **a tenth of the rate at the minimum of the smoothed loss**
/// (fastai's `lr_min / 10`): at the minimum the loss is about to blow up, so one decade below sits
/// safely on the descending stretch. The rate of steepest descent (the most negative slope of ℓ̄
/// against log η, measured over steps/20 steps, skipping the first tenth of the sweep) is
/// reported too; it is noisier.
///
/// The model trains during the sweep. On data it can fit perfectly the loss may keep falling at
/// any rate (the gradient vanishes once it has learned), so the minimum lands at the last rate
/// and the suggestion means nothing: look at the curve.
///
/// The model's weights are restored after the sweep; the optimizer's state (momentum, moments)
/// is not, so train afterwards with a fresh optimizer.
///
/// - Paper: Smith, "Cyclical Learning Rates for Training Neural Networks", 2017,
///   https://arxiv.org/abs/1506.01186
public struct LearningRateFinder: Sendable {
  public let startRate: Float
  public let endRate: Float
  public let steps: Int
  /// β of the running mean; its lag is about 1/(1 − β) steps, so keep it short against `steps`.
  public let smoothing: Double
  /// Stop when the smoothed loss exceeds this multiple of its minimum.
  public let divergenceFactor: Double

  public init(startRate: Float = 1e-5, endRate: Float = 10, steps: Int = 200, smoothing: Double = 0.9,
              divergenceFactor: Double = 4) throws {
    guard startRate > 0, endRate > startRate, endRate.isFinite else {
      throw CNNError("LearningRateFinder: need 0 < startRate < endRate, got \(startRate) and \(endRate)")
    }
    guard steps >= 10 else { throw CNNError("LearningRateFinder: steps must be at least 10, got \(steps)") }
    guard smoothing >= 0, smoothing < 1 else {
      throw CNNError("LearningRateFinder: smoothing must be in [0, 1), got \(smoothing)")
    }
    guard divergenceFactor > 1 else {
      throw CNNError("LearningRateFinder: divergenceFactor must exceed 1, got \(divergenceFactor)")
    }
    (self.startRate, self.endRate, self.steps) = (startRate, endRate, steps)
    (self.smoothing, self.divergenceFactor) = (smoothing, divergenceFactor)
  }

  /// The rate of sweep step `i`.
  public func rate(atStep i: Int) -> Float {
    Float(Double(startRate) * pow(Double(endRate) / Double(startRate), Double(i) / Double(steps - 1)))
  }

  /// What a sweep measured.
  public struct Result: Sendable {
    /// The rate of each step taken (fewer than `steps` when the sweep stopped early).
    public let rates: [Float]
    /// Each batch's loss, before its update.
    public let losses: [Float]
    public let smoothedLosses: [Double]
    /// The rate where the smoothed loss is lowest.
    public let minimumRate: Float
    /// The rate where the smoothed loss falls fastest against log η.
    public let steepestRate: Float
    /// `minimumRate / 10`.
    public let suggestedRate: Float
    /// True when the loss blew up before the last rate.
    public let stoppedEarly: Bool
  }

  /// Sweeps `optimizer`'s rate while training `model` with softmax cross-entropy on seeded
  /// mini-batches of `images`/`labels` (as many epochs as the steps need).
  public func run(
    model: Layer, optimizer: Optimizer, images: Tensor, labels: [Int], batchSize: Int, seed: UInt64
  ) throws -> Result {
    guard images.rank >= 1, images.shape[0] == labels.count, !labels.isEmpty else {
      throw CNNError("LearningRateFinder: \(images.shape.first ?? 0) images but \(labels.count) labels")
    }
    guard batchSize >= 1 else { throw CNNError("LearningRateFinder: batchSize must be at least 1, got \(batchSize)") }
    let saved = model.parameters.map(\.value)
    let savedRate = optimizer.learningRate
    defer {
      for (parameter, value) in zip(model.parameters, saved) { parameter.value = value }
      optimizer.learningRate = savedRate
    }
    let batches = try MiniBatches(count: labels.count, batchSize: batchSize, seed: seed)
    var rates: [Float] = [], losses: [Float] = [], smoothed: [Double] = []
    var average = 0.0, best = Double.infinity
    var stoppedEarly = false
    var epoch = 0, order = batches.batches(epoch: 0), position = 0
    for i in 0..<steps {
      if position == order.count { epoch += 1; order = batches.batches(epoch: epoch); position = 0 }
      let batch = order[position]
      position += 1
      optimizer.learningRate = rate(atStep: i)
      optimizer.zeroGrad()
      let logits = try model.forward(gather(images: images, indices: batch), mode: .training)
      let (loss, gradient) = try softmaxCrossEntropy(logits: logits, labels: batch.map { labels[$0] })
      guard loss.isFinite else { stoppedEarly = true; break }
      average = smoothing * average + (1 - smoothing) * Double(loss)
      let value = average / (1 - pow(smoothing, Double(i + 1)))
      rates.append(optimizer.learningRate)
      losses.append(loss)
      smoothed.append(value)
      best = min(best, value)
      if value > divergenceFactor * best { stoppedEarly = true; break }
      _ = try model.backward(gradient, needsInputGradient: false)
      optimizer.step()
    }
    guard rates.count >= 3 else {
      throw CNNError("LearningRateFinder: the loss diverged within \(rates.count) steps at rate \(rate(atStep: rates.count)); lower startRate")
    }
    let minimumIndex = smoothed.indices.min { smoothed[$0] < smoothed[$1] }!
    // Slope against log η over a window of `lag` steps, after the first tenth of the sweep (where
    // the running mean is still settling) and up to the minimum (after it the loss climbs).
    let lag = max(1, steps / 20)
    var steepestIndex = minimumIndex
    var steepestSlope = Double.infinity
    for i in stride(from: max(lag, steps / 10), through: minimumIndex, by: 1) {
      let slope = (smoothed[i] - smoothed[i - lag]) / (log(Double(rates[i])) - log(Double(rates[i - lag])))
      if slope < steepestSlope { (steepestSlope, steepestIndex) = (slope, i) }
    }
    let minimumRate = rates[minimumIndex]
    return Result(rates: rates, losses: losses, smoothedLosses: smoothed, minimumRate: minimumRate,
                  steepestRate: rates[steepestIndex], suggestedRate: minimumRate / 10, stoppedEarly: stoppedEarly)
  }
}
