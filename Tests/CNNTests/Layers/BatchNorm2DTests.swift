// BatchNorm2D, every test in one place. Sections: cases, behaviour, gradient check,
// fast equals reference, PyTorch fixture, bad input.

import CNNTestSupport
import Testing

@testable import CNN

// MARK: - Cases

/// Shapes for the threaded layer against the plain loops: small ones run on one thread, the last
/// (295 K elements, above the 256 K threshold) on two.
let batchNormReferenceShapes: [[Int]] = [[2, 1, 3, 4], [1, 3, 4, 3], [4, 3, 2, 5], [4, 8, 96, 96]]

// MARK: - Behaviour

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

// MARK: - Gradient check

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

// MARK: - Fast equals reference

@Test("BatchNorm2D threaded forward and backward equal the plain reference loops (training)",
      arguments: batchNormReferenceShapes)
func batchNormMatchesReferenceTraining(_ shape: [Int]) throws {
  var rng = SeededGenerator(seed: 31)
  let norm = try BatchNorm2D(channels: shape[1])
  norm.scale.value = Tensor(randomUniform: [shape[1]], in: 0.5...1.5, using: &rng)
  norm.offset.value = Tensor(randomNormal: [shape[1]], using: &rng)
  let input = Tensor(randomNormal: shape, mean: 3, standardDeviation: 2, using: &rng)
  let gradOutput = Tensor(randomNormal: shape, using: &rng)

  let output = try norm.forward(input, mode: .training)
  let (mean, variance) = try BatchNorm2D.referenceStatistics(input)
  let expected = try BatchNorm2D.referenceForward(
    input: input, mean: mean, variance: variance, scale: norm.scale.value, offset: norm.offset.value,
    epsilon: norm.epsilon)
  expectClose(expected, output, tolerance: 1e-5, label: "BatchNorm2D output \(shape)")
  // Running statistics: one momentum step from (0, 1), the variance unbiased by M/(M − 1).
  let m = Float(shape[0] * shape[2] * shape[3])
  expectClose(mean.map { 0.1 * $0 }, norm.runningMean.value.scalars, tolerance: 1e-6, label: "running mean \(shape)")
  expectClose(variance.map { 0.9 + 0.1 * $0 * m / (m - 1) }, norm.runningVariance.value.scalars,
              tolerance: 1e-6, label: "running variance \(shape)")

  let gradInput = try norm.backward(gradOutput)
  let reference = try BatchNorm2D.referenceBackward(
    gradOutput: gradOutput, input: input, scale: norm.scale.value, epsilon: norm.epsilon)
  expectClose(reference.gradInput, gradInput, tolerance: 1e-5, label: "BatchNorm2D gradInput \(shape)")
  expectClose(reference.gradScale, norm.scale.grad, tolerance: 1e-5, label: "BatchNorm2D gradScale \(shape)")
  expectClose(reference.gradOffset, norm.offset.grad, tolerance: 1e-5, label: "BatchNorm2D gradOffset \(shape)")
}

@Test("BatchNorm2D inference equals the plain reference with the running statistics",
      arguments: batchNormReferenceShapes)
func batchNormMatchesReferenceInference(_ shape: [Int]) throws {
  var rng = SeededGenerator(seed: 32)
  let norm = try BatchNorm2D(channels: shape[1])
  norm.scale.value = Tensor(randomUniform: [shape[1]], in: 0.5...1.5, using: &rng)
  norm.offset.value = Tensor(randomNormal: [shape[1]], using: &rng)
  for _ in 0..<3 {  // move the running statistics away from (0, 1)
    _ = try norm.forward(Tensor(randomNormal: shape, mean: 1, standardDeviation: 2, using: &rng), mode: .training)
  }
  let input = Tensor(randomNormal: shape, using: &rng)
  let expected = try BatchNorm2D.referenceForward(
    input: input, mean: norm.runningMean.value.scalars, variance: norm.runningVariance.value.scalars,
    scale: norm.scale.value, offset: norm.offset.value, epsilon: norm.epsilon)
  expectClose(expected, try norm.forward(input, mode: .inference), tolerance: 1e-5, label: "BatchNorm2D inference \(shape)")
}

// MARK: - PyTorch fixture

// Against PyTorch's nn.BatchNorm2d(momentum 0.1, eps 1e-5): three training steps (output,
// gradients, running statistics after each) and an inference-mode output (Fixtures/batchnorm2d.json).

@Suite("BatchNorm2D vs PyTorch")
struct BatchNormFixtureTests {
  /// Outputs are normalised values of order 1 computed from means and variances of 80 elements per
  /// channel, whose float32 rounding differs from PyTorch's (which accumulates in a different
  /// order); gradInput subtracts two means of similar size. Measured 3.9e-7 (steps[0].gradInput),
  /// so 1e-5 leaves a wide margin while a wrong variance (biased vs unbiased running variance:
  /// a factor 80/79) or a missing mean term would be off by 1e-2 or more.
  static let tolerance: Float = 1e-5

  @Test("training steps, running statistics and inference output match nn.BatchNorm2d")
  func batchNorm() throws {
    let fixture = try Fixture.named("batchnorm2d")
    let scale = try fixture.tensor("scale")
    let layer = try BatchNorm2D(
      channels: scale.count, momentum: try fixture.float("momentum"), epsilon: try fixture.float("epsilon"))
    layer.scale.value = scale
    layer.offset.value = try fixture.tensor("offset")
    for (index, step) in try fixture.children("steps").enumerated() {
      let label = "batchnorm2d.steps[\(index)]"
      layer.zeroGrad()
      let output = try layer.forward(try step.tensor("input"), mode: .training)
      expectClose(try step.tensor("output"), output, tolerance: Self.tolerance, label: "\(label).output")
      let gradInput = try layer.backward(try step.tensor("gradOutput"))
      expectClose(try step.tensor("gradInput"), gradInput, tolerance: Self.tolerance, label: "\(label).gradInput")
      expectClose(
        try step.tensor("gradScale"), layer.scale.grad, tolerance: Self.tolerance, label: "\(label).gradScale")
      expectClose(
        try step.tensor("gradOffset"), layer.offset.grad, tolerance: Self.tolerance, label: "\(label).gradOffset")
      expectClose(
        try step.tensor("runningMean"), layer.runningMean.value, tolerance: Self.tolerance,
        label: "\(label).runningMean")
      expectClose(
        try step.tensor("runningVariance"), layer.runningVariance.value, tolerance: Self.tolerance,
        label: "\(label).runningVariance")
    }
    let evalOutput = try layer.forward(try fixture.tensor("evalInput"), mode: .inference)
    expectClose(try fixture.tensor("evalOutput"), evalOutput, tolerance: Self.tolerance, label: "batchnorm2d.evalOutput")
  }
}

// MARK: - Bad input

@Test("BatchNorm2D refuses wrong channels and a single value per channel in training")
func batchNormBadInput() {
  #expect(throws: CNNError.self) { try BatchNorm2D(channels: 2).forward(Tensor(zeros: [1, 3, 2, 2]), mode: .training) }
  #expect(throws: CNNError.self) { try BatchNorm2D(channels: 2).forward(Tensor(zeros: [1, 2, 1, 1]), mode: .training) }
}

@Test("BatchNorm2D reference loops refuse shapes that do not fit")
func batchNormReferenceBadInput() throws {
  let scale = Tensor(repeating: 1, shape: [2]), offset = Tensor(zeros: [2])
  #expect(throws: CNNError.self) { try BatchNorm2D.referenceStatistics(Tensor(zeros: [2, 3])) }
  #expect(throws: CNNError.self) {
    try BatchNorm2D.referenceForward(
      input: Tensor(zeros: [1, 3, 2, 2]), mean: [0, 0], variance: [1, 1], scale: scale, offset: offset, epsilon: 1e-5)
  }
  #expect(throws: CNNError.self) {
    try BatchNorm2D.referenceBackward(
      gradOutput: Tensor(zeros: [1, 2, 2, 3]), input: Tensor(zeros: [1, 2, 2, 2]), scale: scale, epsilon: 1e-5)
  }
}
