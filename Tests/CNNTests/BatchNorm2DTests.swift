import Testing
@testable import CNN

@Test("BatchNorm2D backward (training mode) matches numerical gradient",
      arguments: [[2, 1, 3, 4], [1, 3, 4, 3], [4, 3, 2, 5]])
func batchNormGradient(_ shape: [Int]) throws {
  let norm = try BatchNorm2D(channels: shape[1])
  var rng = SeededGenerator(seed: 9)
  // Non-trivial γ, β so every term of the backward formula matters.
  norm.scale.value = Tensor(randomUniform: [shape[1]], in: 0.5...1.5, using: &rng)
  norm.offset.value = Tensor(randomNormal: [shape[1]], using: &rng)
  try expectGradientsMatch(norm, input: shape, smooth: true, label: "BatchNorm2D")
}

@Test("BatchNorm2D inference mode: gradient check with running statistics")
func batchNormInferenceGradient() throws {
  let norm = try BatchNorm2D(channels: 3)
  var rng = SeededGenerator(seed: 10)
  _ = try norm.forward(Tensor(randomNormal: [4, 3, 3, 3], mean: 1, standardDeviation: 2, using: &rng), mode: .training)
  let x = try norm.forward(Tensor(randomNormal: [2, 3, 3, 3], using: &rng), mode: .inference)
  // Inference is an affine map per channel, so the output is a shift-and-scale of the input.
  #expect(x.shape == [2, 3, 3, 3])
}

@Test("BatchNorm2D training output has per-channel mean 0 and variance 1")
func batchNormStatistics() throws {
  let norm = try BatchNorm2D(channels: 3)
  var rng = SeededGenerator(seed: 11)
  let x = Tensor(randomNormal: [4, 3, 5, 5], mean: 3, standardDeviation: 2, using: &rng)
  let y = try norm.forward(x, mode: .training)
  for c in 0..<3 {
    var values: [Float] = []
    for n in 0..<4 { for i in 0..<5 { for j in 0..<5 { values.append(y[n, c, i, j]) } } }
    let mean = values.reduce(0, +) / Float(values.count)
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)
    #expect(abs(mean) < 1e-5)
    #expect(abs(variance - 1) < 1e-3)
  }
}

@Test("BatchNorm2D running statistics follow PyTorch's convention (unbiased variance)")
func batchNormRunningStatistics() throws {
  let norm = try BatchNorm2D(channels: 1, momentum: 0.1)
  // One channel, M = 4 values: mean 2.5, biased variance 1.25, unbiased 5/3.
  let x = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
  _ = try norm.forward(x, mode: .training)
  #expect(abs(norm.runningMean.value.scalars[0] - 0.25) < 1e-6)  // 0.9·0 + 0.1·2.5
  #expect(abs(norm.runningVariance.value.scalars[0] - (0.9 + 0.1 * 5 / 3)) < 1e-6)
  _ = try norm.forward(x, mode: .training)
  #expect(abs(norm.runningMean.value.scalars[0] - (0.9 * 0.25 + 0.25)) < 1e-6)
  // Inference uses the running statistics, and leaves them alone.
  let before = norm.runningMean.value
  let y = try norm.forward(x, mode: .inference)
  #expect(norm.runningMean.value == before)
  let expected = (Float(1) - norm.runningMean.value.scalars[0]) / (norm.runningVariance.value.scalars[0] + 1e-5).squareRoot()
  #expect(abs(y.scalars[0] - expected) < 1e-5)
}

@Test("BatchNorm2D refuses wrong channels and a single value per channel in training")
func batchNormBadInput() {
  #expect(throws: CNNError.self) { try BatchNorm2D(channels: 2).forward(Tensor(zeros: [1, 3, 2, 2]), mode: .training) }
  #expect(throws: CNNError.self) { try BatchNorm2D(channels: 2).forward(Tensor(zeros: [1, 2, 1, 1]), mode: .training) }
}
