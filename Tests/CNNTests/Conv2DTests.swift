// Conv2D: the direct reference against hand-computed values and numerical gradients, and every
// fast algorithm (im2col, Winograd, FFT) against the direct reference on random shapes.

import Foundation
import Testing
@testable import CNN

/// One convolution problem: batch, channels in/out, height, width, kernel, stride, padding.
struct ConvolutionCase: CustomStringConvertible, Sendable {
  let n, c, o, h, w, k, s, p: Int
  var description: String { "N\(n) C\(c) O\(o) \(h)x\(w) k\(k) s\(s) p\(p)" }

  /// Random input, weight, bias and gradOutput, seeded by the case so failures reproduce.
  func operands(seed: UInt64) throws -> (input: Tensor, weight: Tensor, bias: Tensor, gradOutput: Tensor) {
    var rng = SeededGenerator(seed: seed)
    let input = Tensor(randomNormal: [n, c, h, w], using: &rng)
    let weight = Tensor(randomNormal: [o, c, k, k], using: &rng)
    let bias = Tensor(randomNormal: [o], using: &rng)
    let outH = try Conv2D.outputSize(input: h, kernelSize: k, stride: s, padding: p)
    let outW = try Conv2D.outputSize(input: w, kernelSize: k, stride: s, padding: p)
    let gradOutput = Tensor(randomNormal: [n, o, outH, outW], using: &rng)
    return (input, weight, bias, gradOutput)
  }
}

/// Shapes covering stride 1 and 2, padding 0-2, 1 and 3 channels, non-square, batch 1 and more.
let convolutionCases: [ConvolutionCase] = [
  ConvolutionCase(n: 1, c: 1, o: 1, h: 5, w: 5, k: 3, s: 1, p: 0),
  ConvolutionCase(n: 2, c: 3, o: 4, h: 7, w: 6, k: 3, s: 1, p: 1),
  ConvolutionCase(n: 3, c: 3, o: 2, h: 8, w: 5, k: 3, s: 2, p: 1),
  ConvolutionCase(n: 2, c: 1, o: 3, h: 6, w: 9, k: 5, s: 2, p: 2),
  ConvolutionCase(n: 1, c: 3, o: 5, h: 4, w: 4, k: 1, s: 1, p: 0),
  ConvolutionCase(n: 2, c: 2, o: 3, h: 5, w: 7, k: 2, s: 2, p: 0),
  ConvolutionCase(n: 4, c: 3, o: 6, h: 9, w: 9, k: 3, s: 1, p: 2),
  ConvolutionCase(n: 2, c: 3, o: 2, h: 5, w: 5, k: 1, s: 2, p: 1),
  ConvolutionCase(n: 5, c: 3, o: 7, h: 11, w: 10, k: 3, s: 1, p: 1),
  ConvolutionCase(n: 1, c: 1, o: 2, h: 3, w: 3, k: 3, s: 1, p: 0),
]

/// Fails with the first 5 differing pairs and the largest difference when `actual` and `expected`
/// differ by more than `tolerance` (absolute, scaled by the largest |expected| when above 1).
func expectTensorsClose(
  _ actual: Tensor, _ expected: Tensor, tolerance: Float, _ label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
  guard actual.shape == expected.shape else { return }
  let scale = max(1, expected.scalars.map(abs).max() ?? 0)
  let difference = actual.maxAbsDifference(expected)
  let pairs = zip(actual.scalars, expected.scalars).enumerated()
    .filter { abs($0.element.0 - $0.element.1) > tolerance * scale }.prefix(5)
    .map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" }.joined(separator: ", ")
  #expect(difference <= tolerance * scale, "\(label): max diff \(difference) (scale \(scale)); \(pairs)", sourceLocation: sourceLocation)
}

// MARK: - Reference kernels

@Test("directForward matches a convolution computed by hand")
func directForwardByHand() throws {
  // input 1...9 in a 3x3 image; kernel [[1, 0], [0, -1]] subtracts the pixel down-right.
  let input = Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
  let weight = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
  let output = try Conv2D.directForward(input: input, weight: weight, bias: Tensor(shape: [1], scalars: [0.5]), stride: 1, padding: 0)
  #expect(output == Tensor(shape: [1, 1, 2, 2], scalars: [-3.5, -3.5, -3.5, -3.5]))
  // Padding 1, stride 2: outputs at (−1,−1), (−1, 1), (1, −1), (1, 1) of the padded image.
  let padded = try Conv2D.directForward(input: input, weight: weight, bias: nil, stride: 2, padding: 1)
  #expect(padded == Tensor(shape: [1, 1, 2, 2], scalars: [-1, -3, -7, -9 + 5]))
}

@Test("outputSize computes H′ and rejects a kernel larger than the padded input")
func outputSizeRule() throws {
  #expect(try Conv2D.outputSize(input: 28, kernelSize: 5, stride: 1, padding: 2) == 28)
  #expect(try Conv2D.outputSize(input: 7, kernelSize: 3, stride: 2, padding: 1) == 4)
  #expect(try Conv2D.outputSize(input: 8, kernelSize: 3, stride: 2, padding: 0) == 3)
  var rng = SeededGenerator(seed: 1)
  let layer = try Conv2D(inChannels: 1, outChannels: 6, kernelSize: 5, using: &rng)
  #expect(throws: CNNError("Conv2D(1→6, 5x5): input 3x3 with padding 0 is smaller than the 5x5 kernel")) {
    try layer.forward(Tensor(zeros: [1, 1, 3, 3]), mode: .inference)
  }
  #expect(throws: CNNError.self) { try Conv2D.outputSize(input: 5, kernelSize: 3, stride: 0, padding: 0) }
}

@Test("Conv2D rejects inputs with the wrong rank or channel count, naming the layer and shape")
func conv2DShapeErrors() throws {
  var rng = SeededGenerator(seed: 2)
  let layer = try Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, using: &rng)
  #expect(throws: CNNError.shape("Conv2D(3→4, 3x3, pad 1)", expected: "(N, 3, H, W)", got: [2, 1, 8, 8])) {
    try layer.forward(Tensor(zeros: [2, 1, 8, 8]), mode: .inference)
  }
  #expect(throws: CNNError.self) { try layer.forward(Tensor(zeros: [3, 8, 8]), mode: .inference) }
  #expect(throws: CNNError.self) {
    try Conv2D.directForward(input: Tensor(zeros: [1, 3, 8, 8]), weight: Tensor(zeros: [4, 3, 3, 3]),
                             bias: Tensor(zeros: [3]), stride: 1, padding: 0)
  }
}

/// The scalar loss Σ output · gradOutput in Double, so that its derivative is backward's input.
private func fakeLoss(_ output: Tensor, _ gradOutput: Tensor) -> Double {
  zip(output.scalars, gradOutput.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

@Test("directBackward matches central differences", arguments: convolutionCases.prefix(8))
func directBackwardNumerically(_ shape: ConvolutionCase) throws {
  let (input, weight, bias, gradOutput) = try shape.operands(seed: 10)
  let analytic = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  // The convolution is linear in each of input, weight and bias, so the central difference has no
  // truncation error at any step; only the Float rounding of the forward pass (relative ~1e-7 of
  // a loss of size ~10-100) divided by 2h remains, so a large step is best: h = 0.5. Measured max
  // relative error (|a − n| / max(1e-3, |a| + |n|)) was 2.6e-4 (1.6e-3 with h = 0.1); 2e-3 still
  // catches any wrong tap, which gives errors of order 1.
  let h: Float = 0.5
  func loss(_ x: Tensor, _ w: Tensor, _ b: Tensor) throws -> Double {
    fakeLoss(try Conv2D.directForward(input: x, weight: w, bias: b, stride: shape.s, padding: shape.p), gradOutput)
  }
  func numericalGradient(of value: Tensor, _ evaluate: (Tensor) throws -> Double) rethrows -> Tensor {
    var gradient = Tensor(zeros: value.shape)
    for index in 0..<value.count {
      var plus = value, minus = value
      plus.scalars[index] += h
      minus.scalars[index] -= h
      gradient.scalars[index] = Float((try evaluate(plus) - evaluate(minus)) / Double(2 * h))
    }
    return gradient
  }
  let numeric = (
    gradInput: try numericalGradient(of: input) { try loss($0, weight, bias) },
    gradWeight: try numericalGradient(of: weight) { try loss(input, $0, bias) },
    gradBias: try numericalGradient(of: bias) { try loss(input, weight, $0) })
  for (name, a, n) in [("gradInput", analytic.gradInput, numeric.gradInput),
                       ("gradWeight", analytic.gradWeight, numeric.gradWeight),
                       ("gradBias", analytic.gradBias, numeric.gradBias)] {
    let worst = zip(a.scalars, n.scalars).map { abs($0 - $1) / max(1e-3, abs($0) + abs($1)) }.max() ?? 0
    #expect(worst < 2e-3, "\(shape) \(name): max relative error \(worst)")
  }
}

// MARK: - Fast equals reference

// Tolerances: each output is a sum of at most C·K·K = 75 products of N(0, 1) values; summed in a
// different order, Float results differ by a few ulps of the partial sums (~1e-6 relative).
// Measured: below 7.3e-7 of the largest value for im2col, Winograd and FFT over all cases here.
// 1e-4 of the largest magnitude leaves a wide margin while still catching any wrong tap.

@Test("im2col + GEMM forward equals direct", arguments: convolutionCases)
func im2colForwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, bias, _) = try shape.operands(seed: 20)
  let direct = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.im2colForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  expectTensorsClose(fast, direct, tolerance: 1e-4, "\(shape) output")
  let noBias = try Conv2D.im2colForward(input: input, weight: weight, bias: nil, stride: shape.s, padding: shape.p)
  let directNoBias = try Conv2D.directForward(input: input, weight: weight, bias: nil, stride: shape.s, padding: shape.p)
  expectTensorsClose(noBias, directNoBias, tolerance: 1e-4, "\(shape) output without bias")
}

@Test("im2col + GEMM backward equals direct", arguments: convolutionCases)
func im2colBackwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, _, gradOutput) = try shape.operands(seed: 30)
  let direct = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  expectTensorsClose(fast.gradInput, direct.gradInput, tolerance: 1e-4, "\(shape) gradInput")
  expectTensorsClose(fast.gradWeight, direct.gradWeight, tolerance: 1e-4, "\(shape) gradWeight")
  expectTensorsClose(fast.gradBias, direct.gradBias, tolerance: 1e-4, "\(shape) gradBias")
}

@Test("im2col lays out patches as columns and col2im is its adjoint")
func im2colLayout() throws {
  // 1 channel, 3x3 image 1...9, 2x2 kernel, stride 1: four patches of four pixels.
  let image = Tensor(shape: [1, 3, 3], scalars: (1...9).map(Float.init))
  let columns = try im2col(image, kernelSize: 2, stride: 1, padding: 0)
  #expect(columns == Tensor([[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]))
  // Adjoint: <im2col(x), y> = <x, col2im(y)> for random x and y, with padding and stride.
  var rng = SeededGenerator(seed: 3)
  let x = Tensor(randomNormal: [2, 5, 6], using: &rng)
  let cols = try im2col(x, kernelSize: 3, stride: 2, padding: 1)
  let y = Tensor(randomNormal: cols.shape, using: &rng)
  let back = try col2im(y, channels: 2, height: 5, width: 6, kernelSize: 3, stride: 2, padding: 1)
  let left = zip(cols.scalars, y.scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
  let right = zip(x.scalars, back.scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
  #expect(abs(left - right) < 1e-3)
}

// MARK: - The layer

@Test("Conv2D layer: every algorithm gives direct's output and accumulates its gradients",
      arguments: ConvolutionAlgorithm.allCases)
func conv2DLayerAlgorithms(_ algorithm: ConvolutionAlgorithm) throws {
  var rng = SeededGenerator(seed: 4)
  let reference = try Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, algorithm: .direct, using: &rng)
  reference.bias.value = Tensor(randomNormal: [4], using: &rng)
  rng = SeededGenerator(seed: 4)
  let layer = try Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, algorithm: algorithm, using: &rng)
  layer.bias.value = reference.bias.value
  let input = Tensor(randomNormal: [2, 3, 6, 7], using: &rng)
  let gradOutput = Tensor(randomNormal: [2, 4, 6, 7], using: &rng)
  expectTensorsClose(try layer.forward(input, mode: .training), try reference.forward(input, mode: .training),
                     tolerance: 1e-4, "\(algorithm) output")
  let gradInput = try layer.backward(gradOutput)
  expectTensorsClose(gradInput, try reference.backward(gradOutput), tolerance: 1e-4, "\(algorithm) gradInput")
  // A second backward adds the same gradient again: parameter gradients accumulate.
  _ = try layer.backward(gradOutput)
  _ = try reference.backward(gradOutput)
  expectTensorsClose(layer.weight.grad, reference.weight.grad, tolerance: 1e-4, "\(algorithm) weight.grad")
  expectTensorsClose(layer.bias.grad, reference.bias.grad, tolerance: 1e-4, "\(algorithm) bias.grad")
  let once = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: layer.weight.value, stride: 1, padding: 0 + 1)
  expectTensorsClose(layer.weight.grad, once.gradWeight * 2, tolerance: 1e-4, "\(algorithm) weight.grad twice")
}

@Test("Conv2D without bias has only a weight parameter and adds nothing")
func conv2DWithoutBias() throws {
  var rng = SeededGenerator(seed: 5)
  let layer = try Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, usesBias: false, using: &rng)
  layer.bias.value = Tensor(repeating: 7, shape: [3])  // ignored
  #expect(layer.parameters.map(\.name) == ["weight"])
  let input = Tensor(randomNormal: [1, 2, 5, 5], using: &rng)
  let expected = try Conv2D.directForward(input: input, weight: layer.weight.value, bias: nil, stride: 1, padding: 0)
  expectTensorsClose(try layer.forward(input, mode: .inference), expected, tolerance: 1e-4, "no-bias output")
}

// MARK: - Winograd

/// 3x3 stride-1 shapes for Winograd: odd and even output sizes (half-used edge tiles), padding 0-3.
let winogradCases: [ConvolutionCase] = convolutionCases.filter { $0.k == 3 && $0.s == 1 } + [
  ConvolutionCase(n: 2, c: 4, o: 3, h: 6, w: 9, k: 3, s: 1, p: 0),
  ConvolutionCase(n: 1, c: 2, o: 2, h: 5, w: 4, k: 3, s: 1, p: 3),
  ConvolutionCase(n: 3, c: 8, o: 5, h: 12, w: 7, k: 3, s: 1, p: 1),
  // Eight or more tiles per row take the SIMD path: exactly 8, 8 + 1, 8 + 8 + 1, and a clipped 15.
  ConvolutionCase(n: 1, c: 2, o: 3, h: 16, w: 16, k: 3, s: 1, p: 1),
  ConvolutionCase(n: 2, c: 2, o: 2, h: 20, w: 20, k: 3, s: 1, p: 0),
  ConvolutionCase(n: 2, c: 3, o: 4, h: 9, w: 33, k: 3, s: 1, p: 1),
  ConvolutionCase(n: 1, c: 2, o: 2, h: 15, w: 15, k: 3, s: 1, p: 1),
]

@Test("Winograd tile: Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A equals the direct tile, 16 vs 36 multiplications")
func winogradTile() {
  var rng = SeededGenerator(seed: 40)
  let d = (0..<4).map { _ in (0..<4).map { _ in rng.nextNormal() } }
  let g = (0..<3).map { _ in (0..<3).map { _ in rng.nextNormal() } }
  let fast = Winograd.tile(input: d, kernel: g)
  let direct = Winograd.directTile(input: d, kernel: g)
  for row in 0..<2 {
    for column in 0..<2 { #expect(abs(fast.output[row][column] - direct.output[row][column]) < 1e-5) }
  }
  #expect(Winograd.multiplicationsPerTile == 16)
  #expect(Winograd.directMultiplicationsPerTile == 36)
}

@Test("Winograd forward equals direct", arguments: winogradCases)
func winogradForwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, bias, _) = try shape.operands(seed: 50)
  let direct = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: 1, padding: shape.p)
  let fast = try Conv2D.winogradForward(input: input, weight: weight, bias: bias, stride: 1, padding: shape.p)
  // Winograd's transforms add up to 4x4 input values before the products and halve kernel sums;
  // the rounding stays within a few ulps of the sums of |terms| (~1e-6 relative), so 1e-4 holds.
  expectTensorsClose(fast, direct, tolerance: 1e-4, "\(shape) output")
}

@Test("Winograd backward equals direct", arguments: winogradCases)
func winogradBackwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, _, gradOutput) = try shape.operands(seed: 60)
  let direct = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: 1, padding: shape.p)
  let fast = try Conv2D.winogradBackward(gradOutput: gradOutput, input: input, weight: weight, stride: 1, padding: shape.p)
  expectTensorsClose(fast.gradInput, direct.gradInput, tolerance: 1e-4, "\(shape) gradInput")
  expectTensorsClose(fast.gradWeight, direct.gradWeight, tolerance: 1e-4, "\(shape) gradWeight")
  expectTensorsClose(fast.gradBias, direct.gradBias, tolerance: 1e-4, "\(shape) gradBias")
}

@Test("Winograd rejects kernels other than 3x3 at stride 1; the layer falls back to im2col")
func winogradRejectsOtherShapes() throws {
  #expect(throws: CNNError.self) {
    try Conv2D.winogradForward(input: Tensor(zeros: [1, 1, 8, 8]), weight: Tensor(zeros: [1, 1, 5, 5]), bias: nil, stride: 1, padding: 0)
  }
  var rng = SeededGenerator(seed: 6)
  let layer = try Conv2D(inChannels: 1, outChannels: 2, kernelSize: 3, stride: 2, algorithm: .winograd, using: &rng)
  #expect(layer.resolvedAlgorithm(height: 8, width: 8) == .im2col)
}

// MARK: - FFT convolution

// Tolerance: FFT convolution sums over all F² grid points with twiddle rounding, so its error is
// not per-tap but ~log₂F² ulps of the largest spectrum values (~C·K·√(F²) for N(0, 1) data),
// spread over every output. For these shapes (F ≤ 16, C·K·K ≤ 75) the measured max error of every
// fast algorithm was below 7.3e-7 of the largest value; 1e-4 keeps a 100x margin and still
// catches any misplaced tap (an error of order 1).

@Test("FFT forward equals direct", arguments: convolutionCases)
func fftForwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, bias, _) = try shape.operands(seed: 70)
  let direct = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.fftForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  expectTensorsClose(fast, direct, tolerance: 1e-4, "\(shape) output")
}

@Test("FFT backward equals direct", arguments: convolutionCases)
func fftBackwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, _, gradOutput) = try shape.operands(seed: 80)
  let direct = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.fftBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  expectTensorsClose(fast.gradInput, direct.gradInput, tolerance: 1e-4, "\(shape) gradInput")
  expectTensorsClose(fast.gradWeight, direct.gradWeight, tolerance: 1e-4, "\(shape) gradWeight")
  expectTensorsClose(fast.gradBias, direct.gradBias, tolerance: 1e-4, "\(shape) gradBias")
}

// MARK: - Automatic choice

@Test("automatic picks Winograd for 3x3 stride-1 layers with enough channels, FFT for large kernels, im2col otherwise; a layer can override")
func automaticAlgorithmRule() throws {
  let wide = Conv2D.winogradMinimumChannels
  #expect(Conv2D.automaticAlgorithm(inChannels: wide, outChannels: wide, kernelSize: 3, stride: 1, height: 32, width: 32) == .winograd)
  #expect(Conv2D.automaticAlgorithm(inChannels: 1, outChannels: 32, kernelSize: 3, stride: 1, height: 28, width: 28) == .im2col)
  #expect(Conv2D.automaticAlgorithm(inChannels: wide, outChannels: wide, kernelSize: 3, stride: 2, height: 32, width: 32) == .im2col)
  #expect(Conv2D.automaticAlgorithm(inChannels: 6, outChannels: 16, kernelSize: 5, stride: 1, height: 14, width: 14) == .im2col)
  #expect(Conv2D.automaticAlgorithm(inChannels: 16, outChannels: 16, kernelSize: Conv2D.fftMinimumKernelSize, stride: 1, height: 32, width: 32) == .fft)
  var rng = SeededGenerator(seed: 11)
  let layer = try Conv2D(inChannels: wide, outChannels: wide, kernelSize: 3, padding: 1, using: &rng)
  #expect(layer.resolvedAlgorithm(height: 16, width: 16) == .winograd)
  layer.algorithm = .im2col
  #expect(layer.resolvedAlgorithm(height: 16, width: 16) == .im2col)
}
