import Testing
@testable import CNN

@Test("MiniBatches: every index once per epoch, seeded, different per epoch")
func miniBatches() throws {
  let batches = try MiniBatches(count: 10, batchSize: 4, seed: 7)
  #expect(batches.batchCount == 3)
  let epoch0 = batches.batches(epoch: 0)
  #expect(epoch0.map(\.count) == [4, 4, 2])
  #expect(epoch0.joined().sorted() == Array(0..<10))
  #expect(try epoch0 == MiniBatches(count: 10, batchSize: 4, seed: 7).batches(epoch: 0))
  #expect(epoch0 != batches.batches(epoch: 1))
  #expect(try MiniBatches(count: 5, batchSize: 2, shuffles: false, seed: 0).batches(epoch: 3) == [[0, 1], [2, 3], [4]])
}

@Test("gather copies the chosen examples in order")
func gatherExamples() throws {
  let images = Tensor(shape: [3, 1, 1, 2], scalars: [0, 1, 10, 11, 20, 21])
  #expect(try gather(images: images, indices: [2, 0, 2]).scalars == [20, 21, 0, 1, 20, 21])
  #expect(try gather(images: images, indices: [1]).shape == [1, 1, 1, 2])
}

@Test("accuracy and the confusion matrix")
func metrics() throws {
  let logits = Tensor([[0, 3, 1], [2, 0, 0], [0, 0, 5], [1, 0, 0]])
  #expect(try accuracy(logits: logits, labels: [1, 0, 1, 2]) == 0.5)
  var matrix = try ConfusionMatrix(classCount: 3)
  try matrix.add(logits: logits, labels: [1, 0, 1, 2])
  #expect(matrix.counts == [[1, 0, 0], [0, 1, 1], [1, 0, 0]])
  #expect(matrix.accuracy == 0.5)
  #expect(matrix.recall == [1, 0.5, 0])
  #expect(matrix.mostConfused(1).first! == (truth: 1, prediction: 2, count: 1))
}

/// A small model with every kind of state: BN running stats, dropout's generator, dense weights.
private func tinyClassifier(seed: UInt64) throws -> Sequential {
  var rng = SeededGenerator(seed: seed)
  return Sequential(
    try BatchNorm2D(channels: 1), ReLU(), try MaxPool2D(kernelSize: 2), Flatten(),
    try Dense(inputSize: 16, outputSize: 12, using: &rng), ReLU(), try Dropout(rate: 0.2, seed: seed &+ 1),
    try Dense(inputSize: 12, outputSize: 3, using: &rng))
}

/// A toy 3-class set: class k has a bright blob in band k of an 8x8 image.
private func toyData(count: Int, seed: UInt64) -> (Tensor, [Int]) {
  var rng = SeededGenerator(seed: seed)
  var images = Tensor(randomNormal: [count, 1, 8, 8], standardDeviation: 0.3, using: &rng)
  let labels = (0..<count).map { $0 % 3 }
  for (n, label) in labels.enumerated() {
    for y in (label * 2)..<(label * 2 + 3) { for x in 2..<6 { images[n, 0, y, x] += 2 } }
  }
  return (images, labels)
}

@Test("reproducibility: same seed gives bit-identical weights after a few training steps")
func reproducibleTraining() throws {
  let (images, labels) = toyData(count: 48, seed: 30)
  func train() throws -> [[UInt32]] {
    let model = try tinyClassifier(seed: 31)
    let trainer = try Trainer(
      model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9),
      batchSize: 8, seed: 32)
    for epoch in 0..<2 { _ = try trainer.trainEpoch(images: images, labels: labels, epoch: epoch) }
    return (model.parameters + model.buffers).map { $0.value.scalars.map(\.bitPattern) }
  }
  let first = try train()
  #expect(first == (try train()))
}

@Test("Trainer: the loss falls, progress reports every batch, evaluation in inference mode")
func trainerLearnsToy() throws {
  let (images, labels) = toyData(count: 96, seed: 33)
  let (testImages, testLabels) = toyData(count: 30, seed: 34)
  let model = try tinyClassifier(seed: 35)
  let trainer = try Trainer(model: model, optimizer: try Adam(parameters: model.parameters, learningRate: 0.01), batchSize: 16, seed: 36)
  var calls: [(Int, Int)] = []
  let first = try trainer.trainEpoch(images: images, labels: labels, epoch: 0) { index, count, _ in calls.append((index, count)) }
  #expect(calls.map(\.0) == Array(0..<6) && calls.allSatisfy { $0.1 == 6 })
  var last = first
  for epoch in 1..<8 { last = try trainer.trainEpoch(images: images, labels: labels, epoch: epoch) }
  #expect(last.meanLoss < first.meanLoss / 2)
  #expect(last.finding == nil)  // a healthy run reports nothing
  #expect(try trainer.evaluate(images: testImages, labels: testLabels, batchSize: 7) > 0.9)
  #expect(try trainer.predict(images: testImages, batchSize: 7).shape == [30, 3])
  #expect(throws: CNNError.self) { try trainer.trainEpoch(images: images, labels: [1, 2], epoch: 0) }
}

@Test("Trainer works on a Dataset and evaluates in inference mode without touching BN statistics")
func trainerOnDataset() throws {
  let (images, labels) = toyData(count: 24, seed: 37)
  let dataset = try Dataset(images: images, labels: labels, name: "toy", classNames: ["0", "1", "2"])
  let model = try tinyClassifier(seed: 38)
  let trainer = try Trainer(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0.05), batchSize: 6, seed: 39)
  let result = try trainer.trainEpoch(on: dataset, epoch: 0)
  #expect(result.losses.count == 4)
  let statistics = model.buffers.map(\.value)
  let accuracy = try trainer.evaluate(on: dataset, batchSize: 5)
  #expect(accuracy >= 0 && accuracy <= 1)
  #expect(model.buffers.map(\.value) == statistics)
}
