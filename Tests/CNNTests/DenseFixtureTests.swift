// Dense against PyTorch's F.linear: output and all three gradients (Fixtures/dense.json).

import CNNTestSupport
import Testing

@testable import CNN

@Suite("Dense vs PyTorch")
struct DenseFixtureTests {
  /// Scaled tolerance (relative above 1, absolute below; see `expectClose`): 7-term float32 dot
  /// products rounded in a different order than PyTorch's; measured max 1.3e-7 (about one ulp).
  static let tolerance: Float = 1e-5

  @Test("Dense forward and backward match F.linear")
  func dense() throws {
    let fixture = try Fixture.named("dense")
    let weight = try fixture.tensor("weight")
    var rng = SeededGenerator(seed: 1)
    let layer = try Dense(inputSize: weight.shape[1], outputSize: weight.shape[0], using: &rng)
    layer.weight.value = weight
    layer.bias.value = try fixture.tensor("bias")
    let output = try layer.forward(try fixture.tensor("input"), mode: .training)
    expectClose(try fixture.tensor("output"), output, tolerance: Self.tolerance, label: "dense.output")
    let gradInput = try layer.backward(try fixture.tensor("gradOutput"))
    expectClose(try fixture.tensor("gradInput"), gradInput, tolerance: Self.tolerance, label: "dense.gradInput")
    expectClose(
      try fixture.tensor("gradWeight"), layer.weight.grad, tolerance: Self.tolerance, label: "dense.gradWeight")
    expectClose(try fixture.tensor("gradBias"), layer.bias.grad, tolerance: Self.tolerance, label: "dense.gradBias")
  }
}
