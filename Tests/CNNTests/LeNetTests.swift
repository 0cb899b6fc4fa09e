import Foundation
import Testing
@testable import CNN

@Test("LeNet-5: shapes, parameter names and count")
func leNetShapes() throws {
  var rng = SeededGenerator(seed: 50)
  let model = try Models.leNet5(using: &rng)
  #expect(model.parameters.map(\.name) == [
    "0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "11.weight", "11.bias"])
  #expect(model.parameterCount == 61_706)  // the classic count for this variant
  let x = Tensor(randomUniform: [8, 1, 28, 28], using: &rng)
  let logits = try model.forward(x, mode: .inference)
  #expect(logits.shape == [8, 10])
  #expect(logits.scalars.allSatisfy { $0.isFinite })
  #expect(throws: CNNError.self) { try model.forward(Tensor(zeros: [1, 1, 32, 32]), mode: .inference) }
}

@Test("LeNet-5 reproducibility: same seed → bit-identical weights after a few SGD-momentum steps")
func leNetReproducible() throws {
  var data = SeededGenerator(seed: 51)
  let images = Tensor(randomUniform: [32, 1, 28, 28], using: &data)
  let labels = (0..<32).map { $0 % 10 }
  func train() throws -> [[UInt32]] {
    var rng = SeededGenerator(seed: 52)
    let model = try Models.leNet5(using: &rng)
    let trainer = try Trainer(
      model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 0.01, momentum: 0.9),
      batchSize: 8, seed: 53)
    _ = try trainer.trainEpoch(images: images, labels: labels, epoch: 0)
    return model.parameters.map { $0.value.scalars.map(\.bitPattern) }
  }
  #expect(try train() == train())
}

@Test("LeNet-5 checkpoint: a reloaded model gives bit-identical predictions")
func leNetCheckpoint() throws {
  var rng = SeededGenerator(seed: 54)
  let source = try Models.leNet5(using: &rng)
  let target = try Models.leNet5(using: &rng)
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("lenet-\(getpid()).ckpt").path
  defer { try? FileManager.default.removeItem(atPath: path) }
  try Checkpoint.save(source, to: path)
  try Checkpoint.load(into: target, from: path)
  let x = Tensor(randomUniform: [4, 1, 28, 28], using: &rng)
  #expect(try source.forward(x, mode: .inference) == target.forward(x, mode: .inference))
}

@Test("Sequential backward without the input gradient: same parameter gradients for LeNet-5")
func sequentialBackwardWithoutInputGradient() throws {
  var rng = SeededGenerator(seed: 14)
  let input = Tensor(randomUniform: [4, 1, 28, 28], in: 0...1, using: &rng)
  var weights = SeededGenerator(seed: 15)
  let full = try Models.leNet5(using: &weights)
  weights = SeededGenerator(seed: 15)
  let partial = try Models.leNet5(using: &weights)
  let logits = try full.forward(input, mode: .training)
  _ = try partial.forward(input, mode: .training)
  let (_, gradLogits) = try softmaxCrossEntropy(logits: logits, labels: [1, 2, 3, 4])
  let gradInput = try full.backward(gradLogits)
  _ = try partial.backward(gradLogits, needsInputGradient: false)
  #expect(gradInput.shape == input.shape)
  for (a, b) in zip(full.parameters, partial.parameters) {
    #expect(a.grad == b.grad, "\(a.name)")
  }
}
