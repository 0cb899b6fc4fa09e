// The training loop, once: mini-batches, forward, softmax cross-entropy, backward, optimizer step;
// and evaluation in inference mode. Lessons and the benchmark call these instead of copying them.

import Foundation

/// Trains a classifier with softmax cross-entropy and evaluates it.
public final class Trainer {
  public let model: Layer
  public let optimizer: Optimizer
  public let batchSize: Int
  public let seed: UInt64
  /// When set, the optimizer's learning rate is `schedule.rate(atStep: stepCount)` at every step.
  public var schedule: (any LearningRateSchedule)?
  /// Optimizer steps taken so far (the schedule's t).
  public private(set) var stepCount = 0

  /// What one epoch measured.
  public struct EpochResult: Sendable {
    /// The mean of the batch losses.
    public let meanLoss: Float
    /// Every batch's loss, in order (for loss curves).
    public let losses: [Float]
    /// Accuracy on the training batches as they were seen (training mode, weights changing).
    public let trainingAccuracy: Float
    /// What the losses say went wrong (exploding, stuck at chance), or nil when nothing did.
    /// Its `description` is one line a chapter can print on its page and the console.
    public let finding: TrainingFinding?

    public init(meanLoss: Float, losses: [Float], trainingAccuracy: Float, finding: TrainingFinding? = nil) {
      self.meanLoss = meanLoss
      self.losses = losses
      self.trainingAccuracy = trainingAccuracy
      self.finding = finding
    }
  }

  /// `seed` fixes the shuffling of every epoch; `schedule`, when given, sets the optimizer's
  /// learning rate before every step. Throws a `CNNError` for a batch size below 1.
  public init(
    model: Layer, optimizer: Optimizer, batchSize: Int, seed: UInt64, schedule: (any LearningRateSchedule)? = nil
  ) throws {
    guard batchSize >= 1 else { throw CNNError("Trainer: batchSize must be at least 1, got \(batchSize)") }
    self.model = model
    self.optimizer = optimizer
    self.batchSize = batchSize
    self.seed = seed
    self.schedule = schedule
  }

  /// One optimizer step on one batch; returns the batch loss and logits.
  ///
  /// Throws a `CNNError` saying whose fault it is when the logits or the loss are not finite:
  /// the data's when the images hold NaN or infinite pixels, the training's otherwise.
  @discardableResult
  public func step(images: Tensor, labels: [Int]) throws -> (loss: Float, logits: Tensor) {
    optimizer.zeroGrad()
    let logits = try model.forward(images, mode: .training)
    if !logits.isFinite { throw Trainer.nonFiniteError(images: images, model: model, what: "the network's output") }
    let (loss, gradLogits) = try softmaxCrossEntropy(logits: logits, labels: labels)
    if !loss.isFinite { throw Trainer.nonFiniteError(images: images, model: model, what: "the loss") }
    // The images need no gradient: the first layer may skip computing it (a convolution does).
    _ = try model.backward(gradLogits, needsInputGradient: false)
    if let schedule { optimizer.learningRate = schedule.rate(atStep: stepCount) }
    optimizer.step()
    stepCount += 1
    return (loss, logits)
  }

  /// One pass over `images` (N, …) and `labels` in the seeded order of `epoch`.
  ///
  /// `progress(batchIndex, batchCount, loss)` is called after every batch (batchIndex from 0).
  public func trainEpoch(
    images: Tensor, labels: [Int], epoch: Int,
    progress: ((_ batchIndex: Int, _ batchCount: Int, _ loss: Float) -> Void)? = nil
  ) throws -> EpochResult {
    guard images.rank >= 1, images.shape[0] == labels.count else {
      throw CNNError("trainEpoch: \(images.shape.first ?? 0) images but \(labels.count) labels")
    }
    guard !labels.isEmpty else {
      throw CNNError("trainEpoch: needs at least 1 training image, got 0")
    }
    let batches = try MiniBatches(count: labels.count, batchSize: batchSize, seed: seed).batches(epoch: epoch)
    var losses: [Float] = []
    var correct = 0
    var classes = 0
    for (index, batch) in batches.enumerated() {
      let batchLabels = batch.map { labels[$0] }
      let (loss, logits): (Float, Tensor)
      do {
        (loss, logits) = try step(images: try gather(images: images, indices: batch), labels: batchLabels)
      } catch let error as CNNError where error.description.hasPrefix("training stopped") {
        throw CNNError(error.description.replacingOccurrences(
          of: "training stopped:", with: "training stopped at epoch \(epoch), batch \(index):"))
      }
      losses.append(loss)
      classes = logits.shape[1]
      correct += zip(logits.argmaxRows(), batchLabels).filter { $0 == $1 }.count
      progress?(index, batches.count, loss)
    }
    let mean = losses.reduce(0, +) / Float(losses.count)
    let trainingAccuracy = Float(correct) / Float(labels.count)
    return EpochResult(
      meanLoss: mean, losses: losses, trainingAccuracy: trainingAccuracy,
      finding: TrainingFinding.diagnose(losses: losses, accuracy: trainingAccuracy, classCount: classes, epoch: epoch))
  }

  /// One pass over a dataset; see `trainEpoch(images:labels:epoch:progress:)`.
  public func trainEpoch(
    on dataset: Dataset, epoch: Int,
    progress: ((_ batchIndex: Int, _ batchCount: Int, _ loss: Float) -> Void)? = nil
  ) throws -> EpochResult {
    try trainEpoch(images: dataset.images, labels: dataset.labels, epoch: epoch, progress: progress)
  }

  /// Accuracy on a dataset, in inference mode.
  public func evaluate(on dataset: Dataset, batchSize: Int = 1000) throws -> Float {
    try evaluate(images: dataset.images, labels: dataset.labels, batchSize: batchSize)
  }

  /// Logits for all `images`, in inference mode, `batchSize` at a time.
  public func predict(images: Tensor, batchSize: Int = 1000) throws -> Tensor {
    try Trainer.predict(model, images: images, batchSize: batchSize)
  }

  /// Accuracy on a test set, in inference mode.
  public func evaluate(images: Tensor, labels: [Int], batchSize: Int = 1000) throws -> Float {
    try accuracy(logits: try predict(images: images, batchSize: batchSize), labels: labels)
  }

  /// Logits of any model for all `images`, in inference mode, `batchSize` at a time. Throws a
  /// `CNNError` for a batch size below 1, and when a logit is NaN or infinite (blaming the images
  /// when they are not finite, the weights otherwise).
  public static func predict(_ model: Layer, images: Tensor, batchSize: Int = 1000) throws -> Tensor {
    guard batchSize >= 1 else { throw CNNError("Trainer.predict: batchSize must be at least 1, got \(batchSize)") }
    let count = images.shape.first ?? 0
    var scalars: [Float] = []
    var classes = 0
    for start in stride(from: 0, to: count, by: max(batchSize, 1)) {
      let batch = images.slice(start..<min(start + batchSize, count))
      let logits = try model.forward(batch, mode: .inference)
      // A NaN logit would otherwise count as a silent wrong answer in every accuracy.
      if !logits.isFinite {
        throw CNNError(nonFiniteError(images: batch, model: model, what: "the network's output").description
          .replacingOccurrences(of: "training stopped:", with: "prediction stopped:"))
      }
      classes = logits.shape.last ?? 0
      scalars.append(contentsOf: logits.scalars)
    }
    return Tensor(shape: [count, classes], scalars: scalars)
  }

  /// The error for a NaN or infinite `what`, blaming the data when the images are not finite
  /// (a learning rate cannot fix a NaN pixel) and the training otherwise.
  static func nonFiniteError(images: Tensor, model: Layer, what: String) -> CNNError {
    if let index = images.firstNonFiniteIndex {
      let perImage = images.count / max(images.shape.first ?? 1, 1)
      return CNNError(
        "training stopped: \(what) is not a finite number because the input data is not: image \(index / max(perImage, 1)) of the batch holds the value \(images.scalars[index]); fix or drop that data")
    }
    if let parameter = model.parameters.first(where: { !$0.value.isFinite }) {
      return CNNError(
        "training stopped: \(what) is not a finite number and weight \(parameter.name) holds NaN or infinity: training diverged; lower the learning rate")
    }
    return CNNError(
      "training stopped: \(what) is not a finite number although the data and weights are finite: the activations overflowed; lower the learning rate")
  }
}

/// Something the losses of an epoch show went wrong while training could still go on.
public enum TrainingFinding: Sendable, Equatable, CustomStringConvertible {
  /// The loss grew far beyond where any classifier starts (ln C): the steps are too large.
  case exploding(loss: Float, epoch: Int)
  /// A whole epoch stayed at the loss (≈ ln C) and accuracy (≈ 1/C) of guessing: a dead network.
  case stuckAtChance(loss: Float, accuracy: Float, classCount: Int, epoch: Int)

  /// A loss above this many times ln C counts as exploding (a network that guesses scores ln C).
  public static let explodingFactor: Float = 100
  /// How close to ln C (relative) every loss of the epoch must stay to count as stuck.
  public static let chanceLossTolerance: Float = 0.02
  /// The accuracy below which, with the loss at ln C, the network counts as guessing: 1.5 / C.
  public static let chanceAccuracyFactor: Float = 1.5

  public var description: String {
    switch self {
    case .exploding(let loss, let epoch):
      return "epoch \(epoch): the loss exploded to \(loss), over \(Int(TrainingFinding.explodingFactor)) times the loss of guessing (ln C); lower the learning rate"
    case .stuckAtChance(let loss, let accuracy, let classCount, let epoch):
      let percent = (accuracy * 1000).rounded() / 10
      return "epoch \(epoch): the network is stuck at chance (loss \(loss) ≈ ln \(classCount), accuracy \(percent)%) — a dead network; check the learning rate and initialisation"
    }
  }

  /// The finding for one epoch's batch losses and training accuracy over `classCount` classes.
  public static func diagnose(losses: [Float], accuracy: Float, classCount: Int, epoch: Int) -> TrainingFinding? {
    guard !losses.isEmpty, classCount >= 2 else { return nil }
    let chance = logf(Float(classCount))
    let mean = losses.reduce(0, +) / Float(losses.count)
    if let worst = losses.max(), worst > explodingFactor * chance {
      return .exploding(loss: worst, epoch: epoch)
    }
    let stuck = losses.allSatisfy { abs($0 - chance) <= chanceLossTolerance * chance }
    if stuck && accuracy < chanceAccuracyFactor / Float(classCount) {
      return .stuckAtChance(loss: mean, accuracy: accuracy, classCount: classCount, epoch: epoch)
    }
    return nil
  }
}
