// The training loop, once: mini-batches, forward, softmax cross-entropy, backward, optimizer step;
// and evaluation in inference mode. Lessons and the benchmark call these instead of copying them.

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
  }

  /// `seed` fixes the shuffling of every epoch.
  public init(
    model: Layer, optimizer: Optimizer, batchSize: Int, seed: UInt64, schedule: (any LearningRateSchedule)? = nil
  ) {
    self.model = model
    self.optimizer = optimizer
    self.batchSize = batchSize
    self.seed = seed
    self.schedule = schedule
  }

  /// One optimizer step on one batch; returns the batch loss and logits.
  @discardableResult
  public func step(images: Tensor, labels: [Int]) throws -> (loss: Float, logits: Tensor) {
    optimizer.zeroGrad()
    let logits = try model.forward(images, mode: .training)
    let (loss, gradLogits) = try softmaxCrossEntropy(logits: logits, labels: labels)
    // The images need no gradient: the first layer may skip computing it (a convolution does).
    _ = model.backward(gradLogits, needsInputGradient: false)
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
    let batches = MiniBatches(count: labels.count, batchSize: batchSize, seed: seed).batches(epoch: epoch)
    var losses: [Float] = []
    var correct = 0
    for (index, batch) in batches.enumerated() {
      let batchLabels = batch.map { labels[$0] }
      let (loss, logits) = try step(images: gather(images: images, indices: batch), labels: batchLabels)
      guard loss.isFinite else {
        throw CNNError("training diverged: loss is \(loss) at epoch \(epoch), batch \(index); lower the learning rate")
      }
      losses.append(loss)
      correct += zip(logits.argmaxRows(), batchLabels).filter { $0 == $1 }.count
      progress?(index, batches.count, loss)
    }
    let mean = losses.isEmpty ? 0 : losses.reduce(0, +) / Float(losses.count)
    return EpochResult(meanLoss: mean, losses: losses, trainingAccuracy: Float(correct) / Float(max(labels.count, 1)))
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
    accuracy(logits: try predict(images: images, batchSize: batchSize), labels: labels)
  }

  /// Logits of any model for all `images`, in inference mode, `batchSize` at a time.
  public static func predict(_ model: Layer, images: Tensor, batchSize: Int = 1000) throws -> Tensor {
    let count = images.shape.first ?? 0
    var scalars: [Float] = []
    var classes = 0
    for start in stride(from: 0, to: count, by: max(batchSize, 1)) {
      let logits = try model.forward(images.slice(start..<min(start + batchSize, count)), mode: .inference)
      classes = logits.shape.last ?? 0
      scalars.append(contentsOf: logits.scalars)
    }
    return Tensor(shape: [count, classes], scalars: scalars)
  }
}
