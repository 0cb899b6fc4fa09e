// The error policy: every mistake a learner can make in a lesson edit throws a `CNNError` whose
// one sentence names the type or function, the bad value and what is allowed (release builds strip
// `precondition` messages, so a trap would show nothing but a backtrace).

import Foundation
import Testing
@testable import CNN
import CNNTestSupport

@Test("constructor mistakes throw one sentence naming the type, the value and the rule")
func constructorMistakes() {
  var rng = SeededGenerator(seed: 1)
  expectCNNError(["Conv2D", "stride", "at least 1", "got 0"]) {
    _ = try Conv2D(inChannels: 1, outChannels: 1, kernelSize: 3, stride: 0, using: &rng)
  }
  expectCNNError(["Conv2D", "padding", "got -1"]) {
    _ = try Conv2D(inChannels: 1, outChannels: 1, kernelSize: 3, padding: -1, using: &rng)
  }
  expectCNNError(["Conv2D", "kernelSize", "got 0"]) {
    _ = try Conv2D(inChannels: 1, outChannels: 1, kernelSize: 0, using: &rng)
  }
  expectCNNError(["Dropout", "rate", "got 1"]) { _ = try Dropout(rate: 1, seed: 0) }
  expectCNNError(["Dropout", "rate", "got nan"]) { _ = try Dropout(rate: .nan, seed: 0) }
  expectCNNError(["SGD", "Nesterov", "momentum"]) {
    _ = try SGD(parameters: [], learningRate: 0.1, nesterov: true)
  }
  expectCNNError(["SGD", "learningRate", "got nan"]) { _ = try SGD(parameters: [], learningRate: .nan) }
  expectCNNError(["Adam", "beta1", "got 1"]) { _ = try Adam(parameters: [], beta1: 1) }
  expectCNNError(["Dense", "inputSize", "got -1"]) { _ = try Dense(inputSize: -1, outputSize: 2, using: &rng) }
  expectCNNError(["MaxPool2D", "kernelSize", "got 0"]) { _ = try MaxPool2D(kernelSize: 0) }
  expectCNNError(["AvgPool2D", "stride", "got 0"]) { _ = try AvgPool2D(kernelSize: 2, stride: 0) }
  expectCNNError(["BatchNorm2D", "channels", "got 0"]) { _ = try BatchNorm2D(channels: 0) }
  expectCNNError(["MiniBatches", "batchSize", "got 0"]) { _ = try MiniBatches(count: 3, batchSize: 0, seed: 0) }
  expectCNNError(["Trainer", "batchSize", "got 0"]) {
    let model = Sequential(ReLU())
    _ = try Trainer(model: model, optimizer: try SGD(parameters: [], learningRate: 0.1), batchSize: 0, seed: 0)
  }
  expectCNNError(["Tensor", "[-1, 2]", "negative"]) { _ = try Tensor.elementCount(of: [-1, 2]) }
  expectCNNError(["Tensor", "more elements"]) { _ = try Tensor.elementCount(of: [Int.max, 2]) }
  expectCNNError(["ConfusionMatrix", "classCount", "got 0"]) { _ = try ConfusionMatrix(classCount: 0) }
}

/// One of every layer kind, with the input shape it takes.
private func everyLayer() throws -> [(Layer, [Int])] {
  var rng = SeededGenerator(seed: 3)
  var layers: [(Layer, [Int])] = []
  for algorithm in ConvolutionAlgorithm.allCases {
    let conv = try Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, algorithm: algorithm, using: &rng)
    layers.append((conv, [2, 2, 4, 4]))
  }
  layers += [
    (try MaxPool2D(kernelSize: 2), [2, 2, 4, 4]), (try AvgPool2D(kernelSize: 2), [2, 2, 4, 4]),
    (try BatchNorm2D(channels: 2), [2, 2, 4, 4]), (try Upsample2D(factor: 2), [2, 2, 4, 4]),
    (try Dense(inputSize: 5, outputSize: 3, using: &rng), [2, 5]), (Flatten(), [2, 2, 4, 4]),
    (ReLU(), [2, 5]), (LeakyReLU(), [2, 5]), (Sigmoid(), [2, 5]), (Tanh(), [2, 5]),
    (try Dropout(rate: 0.5, seed: 1), [2, 5]),
    (Sequential(try Dense(inputSize: 5, outputSize: 4, using: &rng), ReLU()), [2, 5]),
  ]
  return layers
}

@Test("backward without a training forward throws, naming the layer")
func backwardWithoutForward() throws {
  for (layer, shape) in try everyLayer() {
    expectCNNError([layer.summary.components(separatedBy: " → ").last!, "backward", "training-mode forward"]) {
      _ = try layer.backward(Tensor(zeros: shape))
    }
    // An inference forward keeps nothing for backward either.
    _ = try layer.forward(Tensor(repeating: 0.5, shape: shape), mode: .inference)
    expectCNNError(["backward", "training-mode forward"]) { _ = try layer.backward(Tensor(zeros: shape)) }
  }
}

@Test("a gradient of the wrong shape throws, naming the layer and both shapes")
func wrongGradientShape() throws {
  var rng = SeededGenerator(seed: 4)
  for (layer, shape) in try everyLayer() {
    let output = try layer.forward(Tensor(randomNormal: shape, using: &rng), mode: .training)
    var wrong = output.shape
    wrong[0] += 1
    expectCNNError(["backward", "\(wrong)", "\(output.shape)"]) { _ = try layer.backward(Tensor(zeros: wrong)) }
    // The right shape still works afterwards.
    #expect(try layer.backward(Tensor(zeros: output.shape)).shape == shape)
  }
  let input = Tensor(zeros: [1, 1, 4, 4]), weight = Tensor(zeros: [2, 1, 3, 3])
  expectCNNError(["Conv2D.directBackward", "[1, 2, 3, 3]", "[1, 2, 2, 2]"]) {
    _ = try Conv2D.directBackward(gradOutput: Tensor(zeros: [1, 2, 3, 3]), input: input, weight: weight, stride: 1, padding: 0)
  }
  expectCNNError(["Conv2D.im2colBackward", "[1, 2, 3, 3]"]) {
    _ = try Conv2D.im2colBackward(gradOutput: Tensor(zeros: [1, 2, 3, 3]), input: input, weight: weight, stride: 1, padding: 0)
  }
}

@Test("misuse of data, metrics and prediction throws instead of trapping")
func misuseThrows() throws {
  let images = Tensor(zeros: [3, 1, 2, 2])
  let dataset = try Dataset(images: images, labels: [0, 1, 2], name: "toy", classNames: Dataset.digitClassNames)
  expectCNNError(["Dataset.subset", "0..<5", "0..<3"]) { _ = try dataset.subset(0..<5) }
  expectCNNError(["Dataset.subset", "index 7", "0..<3"]) { _ = try dataset.subset([0, 7]) }
  expectCNNError(["gather", "index -1"]) { _ = try gather(images: images, indices: [-1]) }
  expectCNNError(["Dataset", "label 11"]) {
    _ = try Dataset(images: images, labels: [0, 11, 2], name: "toy", classNames: Dataset.digitClassNames)
  }
  var matrix = try ConfusionMatrix(classCount: 10)
  expectCNNError(["ConfusionMatrix.add", "label 11", "0..<10"]) { try matrix.add(predictions: [3], labels: [11]) }
  #expect(matrix.total == 0)  // nothing half-added
  expectCNNError(["ConfusionMatrix.add", "prediction -2"]) { try matrix.add(predictions: [-2], labels: [1]) }
  expectCNNError(["accuracy", "3 labels"]) { _ = try accuracy(logits: Tensor(zeros: [2, 10]), labels: [1, 2, 3]) }
  expectCNNError(["Trainer.predict", "batchSize", "got -5"]) {
    _ = try Trainer.predict(Sequential(Flatten()), images: images, batchSize: -5)
  }
  expectCNNError(["im2col", "kernelSize", "got 0"]) { _ = try im2col(Tensor(zeros: [1, 3, 3]), kernelSize: 0, stride: 1, padding: 0) }
  expectCNNError(["col2im", "columns"]) {
    _ = try col2im(Tensor(zeros: [2, 2]), channels: 1, height: 3, width: 3, kernelSize: 2, stride: 1, padding: 0)
  }
}

@Test("an unwritable path names the real cause, not Foundation's \"The file doesn't exist.\"")
func unwritablePathCause() throws {
  let folder = NSTemporaryDirectory() + "cnn-unwritable-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: folder) }
  expectCNNError(["cannot write", "the folder \(folder)/missing does not exist"]) {
    try writeAtomically("x", to: folder + "/missing/page.md")
  }
  try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/plain"))
  expectCNNError(["\(folder)/plain is a file, not a folder"]) { try writeAtomically("x", to: folder + "/plain/page.md") }
  var rng = SeededGenerator(seed: 1)
  let model = Sequential(try Dense(inputSize: 2, outputSize: 2, using: &rng))
  expectCNNError(["cannot write checkpoint", "does not exist"]) { try Checkpoint.save(model, to: folder + "/none/model.ckpt") }
}

/// A learner's layer whose backward returns a gradient of the wrong shape.
private final class WrongShapeBackward: Layer {
  func forward(_ input: Tensor, mode: Mode) throws -> Tensor { input }
  func backward(_ gradOutput: Tensor) throws -> Tensor { Tensor(zeros: [1]) }
}

@Test("the gradient checker names a backward that returns the wrong shape instead of trapping")
func gradientCheckerWrongShape() {
  var rng = SeededGenerator(seed: 1)
  let input = Tensor(randomNormal: [2, 3], using: &rng)
  expectCNNError(["gradient check input", "shape [1]", "[2, 3]"]) { _ = try gradientCheck(WrongShapeBackward(), input: input) }
}
