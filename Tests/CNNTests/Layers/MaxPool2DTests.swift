// MaxPool2D, every test in one place. Sections: cases, behaviour, gradient check,
// fast equals reference, PyTorch fixture, bad input.
// The tie rule (the first maximum in row-major window order wins) is part of the contract.

import CNNTestSupport
import Testing

@testable import CNN

// MARK: - Cases

struct PoolCase: CustomTestStringConvertible, Sendable {
  let kernelSize: Int, stride: Int, shape: [Int]
  var testDescription: String { "K\(kernelSize) S\(stride) \(shape)" }
}

// Strides 1 and 2 (overlapping and not), 1 and 3 channels, batch 1 and 2, non-square inputs.
let poolCases: [PoolCase] = [
  PoolCase(kernelSize: 2, stride: 2, shape: [1, 1, 4, 6]),
  PoolCase(kernelSize: 2, stride: 1, shape: [2, 3, 5, 4]),
  PoolCase(kernelSize: 3, stride: 2, shape: [2, 1, 7, 5]),
  PoolCase(kernelSize: 3, stride: 1, shape: [1, 3, 4, 5]),
  PoolCase(kernelSize: 2, stride: 2, shape: [2, 3, 5, 7]),  // odd sizes: the last row/column is dropped
]

/// Pooling shapes for the layer against the plain reference loops: the 2x2 fast path and the
/// general windows, overlapping and not, odd sizes, and one input large enough (295 K elements)
/// for the layer to split the planes over two threads.
let poolReferenceCases: [PoolCase] = poolCases + [
  PoolCase(kernelSize: 2, stride: 2, shape: [3, 2, 9, 7]),
  PoolCase(kernelSize: 2, stride: 2, shape: [4, 8, 96, 96]),
  PoolCase(kernelSize: 3, stride: 2, shape: [4, 8, 96, 96]),
]

/// An input on a coarse grid of values (0, 0.25, …, 1), so that many windows hold ties.
func tiedInput(_ shape: [Int], seed: UInt64) -> Tensor {
  var rng = SeededGenerator(seed: seed)
  return Tensor(shape: shape) { _ in Float(Int(rng.nextUniform() * 5)) / 4 }
}

// MARK: - Behaviour

@Test("MaxPool2D forward and backward on a literal")
func maxPoolLiteral() throws {
  let pool = try MaxPool2D(kernelSize: 2)
  let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0,
                                                3, 4, 8, 8])
  let y = try pool.forward(x, mode: .training)
  #expect(y == Tensor(shape: [1, 1, 1, 2], scalars: [5, 8]))
  let g = try pool.backward(Tensor(shape: [1, 1, 1, 2], scalars: [10, 20]))
  #expect(g.scalars == [0, 10, 0, 0,
                        0, 0, 20, 0])  // tie 8, 8: the first in row-major order wins
}

@Test("MaxPool2D tie rule: one winner on an all-equal window, gradient sum kept")
func maxPoolTieRule() throws {
  let pool = try MaxPool2D(kernelSize: 3, stride: 1)
  let x = Tensor(repeating: 2, shape: [1, 1, 4, 4])
  _ = try pool.forward(x, mode: .training)
  let g = try pool.backward(Tensor(repeating: 1, shape: [1, 1, 2, 2]))
  // Every window's first element is its top-left corner.
  #expect(g.scalars == [1, 1, 0, 0,  1, 1, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0])
  #expect(g.sum() == 4)
}

// MARK: - Gradient check

@Test("MaxPool2D backward matches numerical gradient", arguments: poolCases)
func maxPoolGradient(_ c: PoolCase) throws {
  try expectGradientsMatch(try MaxPool2D(kernelSize: c.kernelSize, stride: c.stride), input: c.shape, label: "MaxPool2D")
}

@Test("MaxPool2D ties made of one variable: the checker sees the whole gradient arrive once")
func maxPoolStructuralTies() throws {
  // Upsampling copies each pixel into a 2x2 block, so every pooled window is an exact tie of one
  // variable; max is then smooth in that variable with derivative 1.
  let model = Sequential(try Upsample2D(factor: 2), try MaxPool2D(kernelSize: 2))
  try expectGradientsMatch(model, input: [2, 3, 3, 4], label: "Upsample2D→MaxPool2D")
}

// MARK: - Fast equals reference

@Test("MaxPool2D (fast path, general windows, threads) equals the reference loops exactly, ties included",
      arguments: poolReferenceCases)
func maxPoolMatchesReference(_ c: PoolCase) throws {
  let input = tiedInput(c.shape, seed: 33)
  let expected = try MaxPool2D.referenceForward(input: input, kernelSize: c.kernelSize, stride: c.stride)
  let gradOutput = Tensor(shape: expected.shape) { Float($0 % 7) - 3 }
  let expectedGradInput = try MaxPool2D.referenceBackward(
    gradOutput: gradOutput, input: input, kernelSize: c.kernelSize, stride: c.stride)
  for usesFastPath in [true, false] {
    let pool = try MaxPool2D(kernelSize: c.kernelSize, stride: c.stride)
    pool.usesFastPath = usesFastPath
    #expect(try pool.forward(input, mode: .training) == expected, "\(c.testDescription) fast path \(usesFastPath)")
    #expect(try pool.backward(gradOutput) == expectedGradInput, "\(c.testDescription) fast path \(usesFastPath)")
  }
}

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

// MARK: - PyTorch fixture

@Suite("MaxPool2D vs PyTorch")
struct MaxPoolFixtureTests {
  /// Max pooling copies values, so forward and backward should be exact except where overlapping
  /// windows (3x3 stride 2) add two gradients: one float rounding. 1e-6 scaled is still tight
  /// enough to catch any routing mistake (those are O(1)). Measured: 0. The fixture inputs have
  /// no ties (the generator checks), so the gradient's destination does not depend on a tie rule.
  static let tolerance: Float = 1e-6

  @Test("MaxPool2D matches F.max_pool2d", arguments: ["maxpool_2x2", "maxpool_3x3_s2"])
  func pooling(name: String) throws {
    let fixture = try Fixture.named(name)
    let layer = try MaxPool2D(kernelSize: try fixture.int("kernelSize"), stride: try fixture.int("stride"))
    let output = try layer.forward(try fixture.tensor("input"), mode: .training)
    expectClose(try fixture.tensor("output"), output, tolerance: Self.tolerance, label: "\(name).output")
    let gradInput = try layer.backward(try fixture.tensor("gradOutput"))
    expectClose(try fixture.tensor("gradInput"), gradInput, tolerance: Self.tolerance, label: "\(name).gradInput")
  }
}

// MARK: - Bad input

@Test("MaxPool2D refuses inputs the window does not fit")
func maxPoolBadInput() {
  #expect(throws: CNNError.self) { try MaxPool2D(kernelSize: 3).forward(Tensor(zeros: [1, 1, 2, 5]), mode: .inference) }
  #expect(throws: CNNError.self) { try MaxPool2D(kernelSize: 2).forward(Tensor(zeros: [4, 4]), mode: .inference) }
}

@Test("MaxPool2D reference: the tie rule on an all-equal window, and bad shapes refused")
func maxPoolReferenceTiesAndBadInput() throws {
  let x = Tensor(repeating: 2, shape: [1, 1, 4, 4])
  let g = try MaxPool2D.referenceBackward(
    gradOutput: Tensor(repeating: 1, shape: [1, 1, 2, 2]), input: x, kernelSize: 3, stride: 1)
  #expect(g.scalars == [1, 1, 0, 0,  1, 1, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0])  // each window's top-left
  #expect(throws: CNNError.self) { try MaxPool2D.referenceForward(input: Tensor(zeros: [1, 1, 2, 5]), kernelSize: 3, stride: 1) }
  #expect(throws: CNNError.self) { try MaxPool2D.referenceForward(input: Tensor(zeros: [4, 4]), kernelSize: 2, stride: 2) }
  #expect(throws: CNNError.self) { try MaxPool2D.referenceForward(input: Tensor(zeros: [1, 1, 4, 4]), kernelSize: 2, stride: 0) }
  #expect(throws: CNNError.self) {
    try MaxPool2D.referenceBackward(gradOutput: Tensor(zeros: [1, 1, 3, 3]), input: x, kernelSize: 2, stride: 2)
  }
}
