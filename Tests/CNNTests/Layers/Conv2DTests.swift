// Conv2D, every test in one place. Sections: cases, behaviour, gradient check,
// fast equals reference, PyTorch fixture, bad input.
// The direct loops are the reference: checked by hand and by numerical gradients, then every fast
// algorithm (im2col, Winograd, FFT) and the layer are held equal to them on random shapes.

import CNNTestSupport
import Foundation
import Testing

@testable import CNN

// MARK: - Cases

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

// MARK: - Behaviour

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

@Test("Conv2D without bias has only a weight parameter and adds nothing")
func conv2DWithoutBias() throws {
  var rng = SeededGenerator(seed: 5)
  let layer = try Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, usesBias: false, using: &rng)
  layer.bias.value = Tensor(repeating: 7, shape: [3])  // ignored
  #expect(layer.parameters.map(\.name) == ["weight"])
  let input = Tensor(randomNormal: [1, 2, 5, 5], using: &rng)
  let expected = try Conv2D.directForward(input: input, weight: layer.weight.value, bias: nil, stride: 1, padding: 0)
  expectClose(expected, try layer.forward(input, mode: .inference), tolerance: 1e-4, label: "no-bias output")
}

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

@Test("Conv2D(weight:bias:) and Dense(weight:bias:) take the given weights and check their shapes")
func layersFromGivenWeights() throws {
  var rng = SeededGenerator(seed: 6)
  let weight = Tensor(randomNormal: [4, 3, 3, 3], using: &rng), bias = Tensor(randomNormal: [4], using: &rng)
  let conv = try Conv2D(weight: weight, bias: bias, stride: 2, padding: 1)
  #expect((conv.inChannels, conv.outChannels, conv.kernelSize, conv.stride, conv.padding) == (3, 4, 3, 2, 1))
  #expect(conv.weight.value == weight && conv.bias.value == bias && conv.usesBias)
  let input = Tensor(randomNormal: [2, 3, 7, 6], using: &rng)
  #expect(try conv.forward(input, mode: .inference)
          == Conv2D.im2colForward(input: input, weight: weight, bias: bias, stride: 2, padding: 1))
  let noBias = try Conv2D(weight: weight, bias: nil)
  #expect(!noBias.usesBias && noBias.parameters.count == 1)
  #expect(throws: CNNError("Conv2D(3→4, 3x3): bias has shape [3], expected [4] to match weight [4, 3, 3, 3]")) {
    try Conv2D(weight: weight, bias: Tensor(zeros: [3]))
  }
  #expect(throws: CNNError.self) { try Conv2D(weight: Tensor(zeros: [4, 3, 3, 2]), bias: nil) }
  #expect(throws: CNNError.self) { try Conv2D(weight: weight, bias: nil, stride: 0) }

  let dense = try Dense(weight: Tensor(randomNormal: [5, 7], using: &rng), bias: Tensor(zeros: [5]))
  #expect((dense.inputSize, dense.outputSize) == (7, 5))
  #expect(throws: CNNError("Dense(7→5): bias has shape [7], expected [5] to match weight [5, 7]")) {
    try Dense(weight: Tensor(zeros: [5, 7]), bias: Tensor(zeros: [7]))
  }
  #expect(throws: CNNError.self) { try Dense(weight: Tensor(zeros: [5, 7, 1]), bias: Tensor(zeros: [5])) }
}

// MARK: - Gradient check

// The reference backward against central differences, then the layer through the library's
// gradient checker, for every algorithm, over the same cases as the planted unflipped-kernel bug
// (strides {1, 2}, paddings {0, 1, 2}, 1 and 3 channels, non-square inputs, batch 1 and 2): the
// correct layer passes where the planted bug fails.

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
    try fakeLoss(Conv2D.directForward(input: x, weight: w, bias: b, stride: shape.s, padding: shape.p), gradOutput)
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

@Test("Conv2D layer backward matches numerical gradient (every algorithm)", arguments: convCases)
func conv2DLayerGradient(_ c: ConvCase) throws {
  for algorithm in ConvolutionAlgorithm.allCases {
    var rng = SeededGenerator(seed: 21)
    let conv = try Conv2D(
      inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernelSize,
      stride: c.stride, padding: c.padding, algorithm: algorithm, using: &rng)
    conv.bias.value = Tensor(randomNormal: [c.outChannels], using: &rng)
    // Convolution is linear in its input and in its weights: central differences have no
    // truncation error, only the rounding of the forward pass divided by 2h, so a large step is
    // best. With h = 1e-2 the FFT path measured up to 7e-3 (its forward rounds to ~5e-7 absolute,
    // against 0 for direct; its analytic gradient equals direct's to 1e-7); with h = 0.1, ≤ 3e-4.
    try expectGradientsMatch(conv, input: c.shape, smooth: true, step: 0.1, label: "Conv2D(\(algorithm)) \(c.testDescription)")
  }
}

@Test("Conv2D and the planted bug agree forward; only the bug fails the check")
func conv2DVersusPlantedBug() throws {
  var rngB = SeededGenerator(seed: 40)
  let bug = PlantedBug.unflippedConvolution(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, using: &rngB)
  let conv = try Conv2D(weight: bug.parameters[0].value, bias: bug.parameters[1].value, stride: 2, padding: 1)
  var rng = SeededGenerator(seed: 41)
  let x = Tensor(randomNormal: [2, 2, 5, 6], using: &rng)
  #expect(try conv.forward(x, mode: .inference).maxAbsDifference(bug.forward(x, mode: .inference)) < 1e-5)
  #expect(try gradientCheck(conv, input: x).passes())
  #expect(try !gradientCheck(bug, input: x).passes())
}

// MARK: - Fast equals reference

// Tolerances: each output is a sum of at most C·K·K = 75 products of N(0, 1) values; summed in a
// different order, Float results differ by a few ulps of the partial sums (~1e-6 relative).
// Measured: below 7.3e-7 of the largest value for im2col, Winograd and FFT over all cases here.
// 1e-4 of the largest magnitude leaves a wide margin while still catching any wrong tap.
// FFT convolution sums over all F² grid points with twiddle rounding, so its error is not per-tap
// but ~log₂F² ulps of the largest spectrum values, spread over every output: for these shapes
// (F ≤ 16) it too stayed below 7.3e-7 of the largest value, so 1e-4 keeps a 100x margin.

@Test("im2col + GEMM forward equals direct", arguments: convolutionCases)
func im2colForwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, bias, _) = try shape.operands(seed: 20)
  let direct = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.im2colForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  expectClose(direct, fast, tolerance: 1e-4, label: "\(shape) output")
  let noBias = try Conv2D.im2colForward(input: input, weight: weight, bias: nil, stride: shape.s, padding: shape.p)
  let directNoBias = try Conv2D.directForward(input: input, weight: weight, bias: nil, stride: shape.s, padding: shape.p)
  expectClose(directNoBias, noBias, tolerance: 1e-4, label: "\(shape) output without bias")
}

@Test("im2col + GEMM backward equals direct", arguments: convolutionCases)
func im2colBackwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, _, gradOutput) = try shape.operands(seed: 30)
  let direct = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  expectClose(direct.gradInput, fast.gradInput, tolerance: 1e-4, label: "\(shape) gradInput")
  expectClose(direct.gradWeight, fast.gradWeight, tolerance: 1e-4, label: "\(shape) gradWeight")
  expectClose(direct.gradBias, fast.gradBias, tolerance: 1e-4, label: "\(shape) gradBias")
}

@Test("Winograd forward equals direct", arguments: winogradCases)
func winogradForwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, bias, _) = try shape.operands(seed: 50)
  let direct = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: 1, padding: shape.p)
  let fast = try Conv2D.winogradForward(input: input, weight: weight, bias: bias, stride: 1, padding: shape.p)
  // Winograd's transforms add up to 4x4 input values before the products and halve kernel sums;
  // the rounding stays within a few ulps of the sums of |terms| (~1e-6 relative), so 1e-4 holds.
  expectClose(direct, fast, tolerance: 1e-4, label: "\(shape) output")
}

@Test("Winograd backward equals direct", arguments: winogradCases)
func winogradBackwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, _, gradOutput) = try shape.operands(seed: 60)
  let direct = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: 1, padding: shape.p)
  let fast = try Conv2D.winogradBackward(gradOutput: gradOutput, input: input, weight: weight, stride: 1, padding: shape.p)
  expectClose(direct.gradInput, fast.gradInput, tolerance: 1e-4, label: "\(shape) gradInput")
  expectClose(direct.gradWeight, fast.gradWeight, tolerance: 1e-4, label: "\(shape) gradWeight")
  expectClose(direct.gradBias, fast.gradBias, tolerance: 1e-4, label: "\(shape) gradBias")
}

@Test("FFT forward equals direct", arguments: convolutionCases)
func fftForwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, bias, _) = try shape.operands(seed: 70)
  let direct = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.fftForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  expectClose(direct, fast, tolerance: 1e-4, label: "\(shape) output")
}

@Test("FFT backward equals direct", arguments: convolutionCases)
func fftBackwardMatchesDirect(_ shape: ConvolutionCase) throws {
  let (input, weight, _, gradOutput) = try shape.operands(seed: 80)
  let direct = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  let fast = try Conv2D.fftBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  expectClose(direct.gradInput, fast.gradInput, tolerance: 1e-4, label: "\(shape) gradInput")
  expectClose(direct.gradWeight, fast.gradWeight, tolerance: 1e-4, label: "\(shape) gradWeight")
  expectClose(direct.gradBias, fast.gradBias, tolerance: 1e-4, label: "\(shape) gradBias")
}

@Test("Conv2D layer: every algorithm gives direct's output and accumulates its gradients",
      arguments: ConvolutionAlgorithm.allCases)
func conv2DLayerAlgorithms(_ algorithm: ConvolutionAlgorithm) throws {
  var rng = SeededGenerator(seed: 4)
  let weight = Tensor(heNormal: [4, 3, 3, 3], fanIn: 27, using: &rng)
  let bias = Tensor(randomNormal: [4], using: &rng)
  let reference = try Conv2D(weight: weight, bias: bias, padding: 1, algorithm: .direct)
  let layer = try Conv2D(weight: weight, bias: bias, padding: 1, algorithm: algorithm)
  let input = Tensor(randomNormal: [2, 3, 6, 7], using: &rng)
  let gradOutput = Tensor(randomNormal: [2, 4, 6, 7], using: &rng)
  expectClose(
    try reference.forward(input, mode: .training), try layer.forward(input, mode: .training), tolerance: 1e-4,
    label: "\(algorithm) output")
  let gradInput = try layer.backward(gradOutput)
  expectClose(try reference.backward(gradOutput), gradInput, tolerance: 1e-4, label: "\(algorithm) gradInput")
  // A second backward adds the same gradient again: parameter gradients accumulate.
  _ = try layer.backward(gradOutput)
  _ = try reference.backward(gradOutput)
  expectClose(reference.weight.grad, layer.weight.grad, tolerance: 1e-4, label: "\(algorithm) weight.grad")
  expectClose(reference.bias.grad, layer.bias.grad, tolerance: 1e-4, label: "\(algorithm) bias.grad")
  let once = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: layer.weight.value, stride: 1, padding: 0 + 1)
  expectClose(once.gradWeight * 2, layer.weight.grad, tolerance: 1e-4, label: "\(algorithm) weight.grad twice")
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

// MARK: - PyTorch fixture

// Against PyTorch's F.conv2d: output and the gradients of sum(output · gradOutput) for the
// reference kernels, im2col, and the layer with every algorithm (Fixtures/conv2d_*.json).

@Suite("Conv2D vs PyTorch")
struct Conv2DFixtureTests {
  static let cases = ["conv2d_basic", "conv2d_s2_p1", "conv2d_p2", "conv2d_k5_p2", "conv2d_s2_nobias"]

  /// Tolerance by the rule of `expectClose` (relative to the tensor's largest |value|, absolute
  /// below 1). Sums of up to 75 float32 products (gradWeight: up to N·H′·W′ = 112 terms of gradients up to ~10) rounded in a
  /// different order than PyTorch's. Measured: ≤ 1.2e-6 for the 3x3 cases, 3.0e-6 for conv2d_k5_p2
  /// (every algorithm), so 1e-5 keeps a margin of 3 where the sums are longest.
  static let tolerance: Float = 1e-5

  struct Case {
    let name: String
    let input: Tensor, weight: Tensor, bias: Tensor?
    let stride: Int, padding: Int
    let output: Tensor, gradOutput: Tensor
    let gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor?

    init(_ name: String) throws {
      let f = try Fixture.named(name)
      self.name = name
      input = try f.tensor("input")
      weight = try f.tensor("weight")
      bias = f.contains("bias") ? try f.tensor("bias") : nil
      stride = try f.int("stride")
      padding = try f.int("padding")
      output = try f.tensor("output")
      gradOutput = try f.tensor("gradOutput")
      gradInput = try f.tensor("gradInput")
      gradWeight = try f.tensor("gradWeight")
      gradBias = f.contains("gradBias") ? try f.tensor("gradBias") : nil
    }

    func check(output: Tensor, gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor?, label: String) {
      let tolerance = Conv2DFixtureTests.tolerance
      expectClose(self.output, output, tolerance: tolerance, label: "\(name).\(label).output")
      expectClose(self.gradInput, gradInput, tolerance: tolerance, label: "\(name).\(label).gradInput")
      expectClose(self.gradWeight, gradWeight, tolerance: tolerance, label: "\(name).\(label).gradWeight")
      if let expected = self.gradBias, let gradBias {
        expectClose(expected, gradBias, tolerance: tolerance, label: "\(name).\(label).gradBias")
      }
    }
  }

  @Test("directForward / directBackward match F.conv2d", arguments: cases)
  func direct(name: String) throws {
    let c = try Case(name)
    let output = try Conv2D.directForward(
      input: c.input, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding)
    let grads = try Conv2D.directBackward(
      gradOutput: c.gradOutput, input: c.input, weight: c.weight, stride: c.stride, padding: c.padding)
    c.check(output: output, gradInput: grads.gradInput, gradWeight: grads.gradWeight, gradBias: grads.gradBias,
            label: "direct")
  }

  @Test("im2colForward / im2colBackward match F.conv2d", arguments: cases)
  func im2col(name: String) throws {
    let c = try Case(name)
    let output = try Conv2D.im2colForward(
      input: c.input, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding)
    let grads = try Conv2D.im2colBackward(
      gradOutput: c.gradOutput, input: c.input, weight: c.weight, stride: c.stride, padding: c.padding)
    c.check(output: output, gradInput: grads.gradInput, gradWeight: grads.gradWeight, gradBias: grads.gradBias,
            label: "im2col")
  }

  @Test("the Conv2D layer matches F.conv2d with every algorithm",
        arguments: cases, ConvolutionAlgorithm.allCases)
  func layer(name: String, algorithm: ConvolutionAlgorithm) throws {
    let c = try Case(name)
    let layer = try Conv2D(weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding, algorithm: algorithm)
    let output = try layer.forward(c.input, mode: .training)
    let gradInput = try layer.backward(c.gradOutput)
    c.check(output: output, gradInput: gradInput, gradWeight: layer.weight.grad,
            gradBias: c.bias == nil ? nil : layer.bias.grad, label: "layer(\(algorithm))")
  }

  /// A case small enough to check by hand, as a literal (values from F.conv2d): the kernel
  /// [[1, 0], [0, −1]] subtracts each pixel's lower-right neighbour, so on 1…9 every output is
  /// x − (x + 4) + 0.5 = −3.5; with gradOutput = 1 each gradWeight tap sums the pixels it saw.
  @Test("a hand-checkable 2x2 kernel on 1…9 matches F.conv2d exactly")
  func literal() throws {
    let input = Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
    let weight = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
    let output = try Conv2D.directForward(
      input: input, weight: weight, bias: Tensor(shape: [1], scalars: [0.5]), stride: 1, padding: 0)
    #expect(output == Tensor(shape: [1, 1, 2, 2], scalars: [-3.5, -3.5, -3.5, -3.5]))
    let grads = try Conv2D.directBackward(
      gradOutput: Tensor(repeating: 1, shape: [1, 1, 2, 2]), input: input, weight: weight, stride: 1, padding: 0)
    #expect(grads.gradInput.scalars == [1, 1, 0, 1, 0, -1, 0, -1, -1])
    #expect(grads.gradWeight.scalars == [12, 16, 24, 28])
    #expect(grads.gradBias.scalars == [4])
  }
}

// MARK: - Bad input

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

@Test("Winograd rejects kernels other than 3x3 at stride 1; the layer falls back to im2col")
func winogradRejectsOtherShapes() throws {
  #expect(throws: CNNError.self) {
    try Conv2D.winogradForward(input: Tensor(zeros: [1, 1, 8, 8]), weight: Tensor(zeros: [1, 1, 5, 5]), bias: nil, stride: 1, padding: 0)
  }
  var rng = SeededGenerator(seed: 6)
  let layer = try Conv2D(inChannels: 1, outChannels: 2, kernelSize: 3, stride: 2, algorithm: .winograd, using: &rng)
  #expect(layer.resolvedAlgorithm(height: 8, width: 8) == .im2col)
}
