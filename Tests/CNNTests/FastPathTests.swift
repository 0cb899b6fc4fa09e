// The performance work's fast paths held equal to the readable code they replace: the 2x2
// max-pooling loop, and backward passes that skip the input gradient nobody uses.

import Testing
@testable import CNN

@Test("MaxPool2D 2x2 fast path equals the generic loops, ties and odd sizes included",
      arguments: [[2, 3, 8, 6], [3, 2, 9, 7], [1, 1, 2, 2]])
func maxPoolFastPathMatchesGeneric(_ shape: [Int]) throws {
  var rng = SeededGenerator(seed: 11)
  // Values on a coarse grid (0, 0.25, …, 1) so that many windows hold ties.
  let input = Tensor(shape: shape) { _ in Float(Int(rng.nextUniform() * 5)) / 4 }
  let fast = try MaxPool2D(kernelSize: 2), generic = try MaxPool2D(kernelSize: 2)
  generic.usesFastPath = false
  let fastOutput = try fast.forward(input, mode: .training)
  let genericOutput = try generic.forward(input, mode: .training)
  #expect(fastOutput == genericOutput)
  let gradOutput = Tensor(shape: fastOutput.shape) { Float($0 % 7) - 3 }
  #expect(try fast.backward(gradOutput) == generic.backward(gradOutput))
  // A second pass reuses the argmax storage; it must not keep stale winners.
  let shifted = input.map { 1 - $0 }
  #expect(try fast.forward(shifted, mode: .training) == generic.forward(shifted, mode: .training))
  #expect(try fast.backward(gradOutput) == generic.backward(gradOutput))
}

@Test("Conv2D backward without the input gradient accumulates the same parameter gradients")
func convBackwardWithoutInputGradient() throws {
  var rng = SeededGenerator(seed: 12)
  let input = Tensor(randomNormal: [3, 2, 9, 9], mean: 0, standardDeviation: 1, using: &rng)
  for algorithm in [ConvolutionAlgorithm.im2col, .direct, .winograd] {
    var weights = SeededGenerator(seed: 13)
    let full = try Conv2D(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, algorithm: algorithm, using: &weights)
    weights = SeededGenerator(seed: 13)
    let partial = try Conv2D(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, algorithm: algorithm, using: &weights)
    let output = try full.forward(input, mode: .training)
    _ = try partial.forward(input, mode: .training)
    let gradOutput = Tensor(randomNormal: output.shape, mean: 0, standardDeviation: 1, using: &rng)
    _ = try full.backward(gradOutput)
    _ = try partial.backward(gradOutput, needsInputGradient: false)
    #expect(full.weight.grad == partial.weight.grad, "\(algorithm) weight gradient")
    #expect(full.bias.grad == partial.bias.grad, "\(algorithm) bias gradient")
  }
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
