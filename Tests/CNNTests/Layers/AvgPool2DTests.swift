// AvgPool2D, every test in one place. Sections: cases, behaviour, gradient check,
// fast equals reference, PyTorch fixture, bad input.
// The pooling cases (PoolCase, poolCases, poolReferenceCases) are shared with MaxPool2DTests.

import CNNTestSupport
import Testing

@testable import CNN

// MARK: - Behaviour

@Test("AvgPool2D forward and backward on a literal")
func avgPoolLiteral() throws {
  let pool = try AvgPool2D(kernelSize: 2)
  let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0,
                                                3, 3, 8, 6])
  #expect(try pool.forward(x, mode: .training).scalars == [3, 4])
  let g = try pool.backward(Tensor(shape: [1, 1, 1, 2], scalars: [4, 8]))
  #expect(g.scalars == [1, 1, 2, 2,  1, 1, 2, 2])
}

// MARK: - Gradient check

@Test("AvgPool2D backward matches numerical gradient", arguments: poolCases)
func avgPoolGradient(_ c: PoolCase) throws {
  try expectGradientsMatch(try AvgPool2D(kernelSize: c.kernelSize, stride: c.stride), input: c.shape, label: "AvgPool2D")
}

// MARK: - Fast equals reference

@Test("AvgPool2D equals the reference loops exactly", arguments: poolReferenceCases)
func avgPoolMatchesReference(_ c: PoolCase) throws {
  var rng = SeededGenerator(seed: 34)
  let input = Tensor(randomNormal: c.shape, using: &rng)
  let pool = try AvgPool2D(kernelSize: c.kernelSize, stride: c.stride)
  let output = try pool.forward(input, mode: .training)
  #expect(output == (try AvgPool2D.referenceForward(input: input, kernelSize: c.kernelSize, stride: c.stride)))
  let gradOutput = Tensor(randomNormal: output.shape, using: &rng)
  let expected = try AvgPool2D.referenceBackward(
    gradOutput: gradOutput, inputShape: c.shape, kernelSize: c.kernelSize, stride: c.stride)
  #expect(try pool.backward(gradOutput) == expected)
}

// MARK: - PyTorch fixture

@Suite("AvgPool2D vs PyTorch")
struct AvgPoolFixtureTests {
  /// Averages divide by K² in a possibly different order than PyTorch. 1e-6 scaled is still tight
  /// enough to catch any scaling mistake (those are O(1)). Measured: 3.0e-8.
  static let tolerance: Float = 1e-6

  @Test("AvgPool2D matches F.avg_pool2d", arguments: ["avgpool_2x2", "avgpool_3x3_s2"])
  func pooling(name: String) throws {
    let fixture = try Fixture.named(name)
    let layer = try AvgPool2D(kernelSize: try fixture.int("kernelSize"), stride: try fixture.int("stride"))
    let output = try layer.forward(try fixture.tensor("input"), mode: .training)
    expectClose(try fixture.tensor("output"), output, tolerance: Self.tolerance, label: "\(name).output")
    let gradInput = try layer.backward(try fixture.tensor("gradOutput"))
    expectClose(try fixture.tensor("gradInput"), gradInput, tolerance: Self.tolerance, label: "\(name).gradInput")
  }
}

// MARK: - Bad input

@Test("AvgPool2D reference loops refuse shapes that do not fit")
func avgPoolReferenceBadInput() {
  #expect(throws: CNNError.self) { try AvgPool2D.referenceForward(input: Tensor(zeros: [1, 1, 2, 5]), kernelSize: 3, stride: 1) }
  #expect(throws: CNNError.self) {
    try AvgPool2D.referenceBackward(gradOutput: Tensor(zeros: [1, 1, 2, 2]), inputShape: [1, 1, 3, 3], kernelSize: 2, stride: 2)
  }
}
