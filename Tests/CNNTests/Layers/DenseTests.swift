// Dense, every test in one place. Sections: cases, behaviour, gradient check,
// fast equals reference, PyTorch fixture, bad input.
// Dense computes through the GEMM, whose own reference (naiveGemm) is held equal in MatmulTests.

import CNNTestSupport
import Testing

@testable import CNN

// MARK: - Gradient check

@Test("Dense backward matches numerical gradient", arguments: [[1, 5], [3, 4]])
func denseGradient(_ shape: [Int]) throws {
  var rng = SeededGenerator(seed: 12)
  let dense = try Dense(inputSize: shape[1], outputSize: 3, using: &rng)
  dense.bias.value = Tensor(randomNormal: [3], using: &rng)
  try expectGradientsMatch(dense, input: shape, smooth: true, label: "Dense")
}

@Test("Sequential(Dense, ReLU, Dense) backward matches numerical gradient, parameters named")
func sequentialGradient() throws {
  var rng = SeededGenerator(seed: 13)
  let model = Sequential(try Dense(inputSize: 4, outputSize: 6, using: &rng), Tanh(), try Dense(inputSize: 6, outputSize: 3, using: &rng))
  let report = try expectGradientsMatch(model, input: [2, 4], smooth: true, label: "Sequential")
  #expect(report.entries.map(\.name) == ["input", "0.weight", "0.bias", "2.weight", "2.bias"])
}

// MARK: - PyTorch fixture

// Against PyTorch's F.linear: output and all three gradients (Fixtures/dense.json).

@Suite("Dense vs PyTorch")
struct DenseFixtureTests {
  /// Tolerance by the rule of `expectClose` (relative to the tensor's largest |value|, absolute
  /// below 1): 7-term float32 dot products rounded in a different order than PyTorch's; measured max 1.3e-7 (about one ulp).
  static let tolerance: Float = 1e-5

  @Test("Dense forward and backward match F.linear")
  func dense() throws {
    let fixture = try Fixture.named("dense")
    let layer = try Dense(weight: fixture.tensor("weight"), bias: fixture.tensor("bias"))
    let output = try layer.forward(try fixture.tensor("input"), mode: .training)
    expectClose(try fixture.tensor("output"), output, tolerance: Self.tolerance, label: "dense.output")
    let gradInput = try layer.backward(try fixture.tensor("gradOutput"))
    expectClose(try fixture.tensor("gradInput"), gradInput, tolerance: Self.tolerance, label: "dense.gradInput")
    expectClose(
      try fixture.tensor("gradWeight"), layer.weight.grad, tolerance: Self.tolerance, label: "dense.gradWeight")
    expectClose(try fixture.tensor("gradBias"), layer.bias.grad, tolerance: Self.tolerance, label: "dense.gradBias")
  }
}
