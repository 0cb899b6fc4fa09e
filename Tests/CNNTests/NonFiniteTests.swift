// Numbers that go bad: NaN and infinity must be reported where a learner meets them (loading
// data, computing a loss, training, checkpoints) instead of spreading silently.

import Foundation
import Testing
@testable import CNN
import CNNTestSupport

/// A 10-class classifier on (N, 1, 2, 2) images and a matching toy set (labels cycle 0...9).
private func tenClassSetup(count: Int, seed: UInt64) throws -> (Sequential, Dense, Tensor, [Int]) {
  var rng = SeededGenerator(seed: seed)
  let dense = try Dense(inputSize: 4, outputSize: 10, using: &rng)
  let images = Tensor(randomNormal: [count, 1, 2, 2], using: &rng)
  return (Sequential(Flatten(), dense), dense, images, (0..<count).map { $0 % 10 })
}

@Test("data with a NaN or infinite pixel is refused when the dataset is made")
func nonFinitePixelsRefused() {
  var images = Tensor(zeros: [2, 1, 2, 2])
  images[1, 0, 1, 0] = .nan
  expectCNNError(["Dataset toy", "image 1", "nan", "finite"]) {
    _ = try Dataset(images: images, labels: [0, 1], name: "toy", classNames: Dataset.digitClassNames)
  }
  images[1, 0, 1, 0] = .infinity
  expectCNNError(["image 1", "inf"]) {
    _ = try Dataset(images: images, labels: [0, 1], name: "toy", classNames: Dataset.digitClassNames)
  }
}

@Test("losses of empty or non-finite logits throw instead of returning NaN or 0")
func lossesRefuseBadLogits() {
  expectCNNError(["softmaxCrossEntropy", "empty"]) { _ = try softmaxCrossEntropy(logits: Tensor(zeros: [0, 10]), labels: []) }
  expectCNNError(["softmaxCrossEntropy", "row 1", "not a finite number"]) {
    _ = try softmaxCrossEntropy(logits: Tensor(shape: [2, 2], scalars: [0, 1, .nan, 2]), labels: [0, 1])
  }
  expectCNNError(["softmaxCrossEntropy", "inf"]) {
    _ = try softmaxCrossEntropy(logits: Tensor(shape: [1, 2], scalars: [.infinity, 0]), labels: [0])
  }
  expectCNNError(["meanSquaredError", "empty"]) { _ = try meanSquaredError(Tensor(zeros: [0]), Tensor(zeros: [0])) }
  expectCNNError(["meanSquaredError", "target", "nan"]) {
    _ = try meanSquaredError(Tensor(zeros: [2]), Tensor(shape: [2], scalars: [0, .nan]))
  }
}

@Test("an empty dataset does not train with loss 0: it throws")
func emptyDatasetRefused() throws {
  let (model, _, _, _) = try tenClassSetup(count: 1, seed: 1)
  let trainer = try Trainer(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0.1), batchSize: 4, seed: 0)
  expectCNNError(["trainEpoch", "needs at least 1 training image", "got 0"]) {
    _ = try trainer.trainEpoch(images: Tensor(zeros: [0, 1, 2, 2]), labels: [], epoch: 0)
  }
}

@Test("a NaN loss from NaN input data blames the data, not the learning rate")
func nanDataBlamed() throws {
  let (model, _, images, labels) = try tenClassSetup(count: 8, seed: 2)
  var poisoned = images
  poisoned[5, 0, 0, 1] = .nan
  let trainer = try Trainer(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0.1), batchSize: 8, seed: 0)
  expectCNNError(["training stopped at epoch 0, batch 0", "input data", "nan"]) {
    _ = try trainer.trainEpoch(images: poisoned, labels: labels, epoch: 0)
  }
  do {
    _ = try trainer.trainEpoch(images: poisoned, labels: labels, epoch: 0)
  } catch let error as CNNError {
    #expect(!error.description.contains("learning rate"))
  }
}

@Test("NaN weights with finite data: the training diverged, lower the learning rate")
func nanWeightsBlamed() throws {
  let (model, dense, images, labels) = try tenClassSetup(count: 8, seed: 3)
  dense.weight.value[2, 1] = .nan
  let trainer = try Trainer(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0.1), batchSize: 4, seed: 0)
  expectCNNError(["training stopped", "weight", "diverged", "lower the learning rate"]) {
    _ = try trainer.trainEpoch(images: images, labels: labels, epoch: 0)
  }
}

@Test("an exploding but finite loss is reported as a finding the chapter can print")
func explodingLossReported() throws {
  #expect(TrainingFinding.diagnose(losses: [2.3, 2.5e14], accuracy: 0.1, classCount: 10, epoch: 4)
          == .exploding(loss: 2.5e14, epoch: 4))
  let (model, dense, images, labels) = try tenClassSetup(count: 20, seed: 4)
  dense.weight.value = dense.weight.value.map { $0 * 1e5 }  // logits ~1e5: huge but finite
  let trainer = try Trainer(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0), batchSize: 5, seed: 0)
  let result = try trainer.trainEpoch(images: images, labels: labels, epoch: 0)
  guard case .exploding(let loss, 0)? = result.finding else {
    Issue.record("expected an exploding finding, got \(String(describing: result.finding))")
    return
  }
  #expect(loss > 1000)
  let line = result.finding!.description
  #expect(line.contains("exploded") && line.contains("lower the learning rate") && !line.contains("\n"))
}

@Test("a network stuck at chance (loss ≈ ln C, accuracy ≈ 1/C) for a whole epoch is a dead network")
func deadNetworkReported() throws {
  let (model, dense, images, labels) = try tenClassSetup(count: 20, seed: 5)
  dense.weight.value = Tensor(zeros: dense.weight.value.shape)  // every logit 0: loss exactly ln 10
  let trainer = try Trainer(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0), batchSize: 5, seed: 0)
  let result = try trainer.trainEpoch(images: images, labels: labels, epoch: 2)
  guard case .stuckAtChance(let loss, let accuracy, 10, 2)? = result.finding else {
    Issue.record("expected a stuck-at-chance finding, got \(String(describing: result.finding))")
    return
  }
  #expect(abs(loss - logf(10)) < 1e-4)
  #expect(accuracy <= 0.15)
  #expect(result.finding!.description.contains("dead network"))
  // A loss that moves away from ln C in the epoch is not stuck, nor is a high accuracy.
  #expect(TrainingFinding.diagnose(losses: [2.30, 1.2], accuracy: 0.1, classCount: 10, epoch: 0) == nil)
  #expect(TrainingFinding.diagnose(losses: [2.30, 2.30], accuracy: 0.6, classCount: 10, epoch: 0) == nil)
}

@Test("checkpoints refuse to save or load NaN or infinite weights, leaving the model untouched")
func checkpointsRefuseNonFinite() throws {
  let path = NSTemporaryDirectory() + "cnn-nonfinite-\(UUID().uuidString).ckpt"
  defer { try? FileManager.default.removeItem(atPath: path) }
  let (model, dense, _, _) = try tenClassSetup(count: 1, seed: 6)
  let good = dense.weight.value
  dense.weight.value[0, 0] = .nan
  expectCNNError(["cannot save checkpoint", "NaN or infinite"]) { try Checkpoint.save(model, to: path) }
  #expect(!FileManager.default.fileExists(atPath: path))
  // A file holding an infinity with a valid checksum (as a buggy writer could produce).
  dense.weight.value = good
  try Checkpoint.save(model, to: path)
  var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  bytes.removeLast(4)  // the checksum
  let last = bytes.count - 4  // the last float of the last entry (the bias)
  let infinity = Float.infinity.bitPattern
  bytes.replaceSubrange(last..<bytes.count, with: [UInt8(infinity & 0xFF), UInt8(infinity >> 8 & 0xFF), UInt8(infinity >> 16 & 0xFF), UInt8(infinity >> 24)])
  Checkpoint.append(Checkpoint.checksum(bytes[...]), to: &bytes)
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  let before = model.parameters.map(\.value)
  expectCNNError(["checkpoint", "NaN or infinite", "refusing"]) { try Checkpoint.load(into: model, from: path) }
  #expect(model.parameters.map(\.value) == before)
}

@Test("prediction on NaN images throws, blaming the images, instead of scoring NaN logits as answers")
func predictionRefusesNaN() throws {
  let (model, _, images, labels) = try tenClassSetup(count: 6, seed: 7)
  var poisoned = images
  poisoned[4, 0, 1, 1] = .infinity
  expectCNNError(["prediction stopped", "input data", "image 4"]) { _ = try Trainer.predict(model, images: poisoned, batchSize: 10) }
  let trainer = try Trainer(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0.1), batchSize: 4, seed: 0)
  expectCNNError(["prediction stopped", "image 1"]) { _ = try trainer.evaluate(images: poisoned, labels: labels, batchSize: 3) }
  #expect(try Trainer.predict(model, images: images).shape == [6, 10])
}
