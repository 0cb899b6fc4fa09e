// The public API chapters 9 and 10 call instead of copying library internals: the algorithm switch,
// the FFT grid rule, the workspace each forward pass allocates, and the array GEMM's thread limit.

import Testing
@testable import CNN

@Suite("Conv2D's algorithm switch and workspace sizes")
struct ConvolutionDispatchTests {
  @Test("Conv2D.forward/backward(algorithm:) run exactly the algorithm named, .automatic what the rule picks",
        arguments: ConvolutionAlgorithm.allCases)
  func dispatch(_ algorithm: ConvolutionAlgorithm) throws {
    let shape = ConvolutionCase(n: 2, c: 8, o: 4, h: 9, w: 7, k: 3, s: 1, p: 1)
    let (x, w, b, dy) = try shape.operands(seed: 31)
    let chosen = algorithm == .automatic
      ? Conv2D.automaticAlgorithm(inChannels: 8, outChannels: 4, kernelSize: 3, stride: 1, height: 9, width: 7)
      : algorithm
    let expected: Tensor
    let expectedGradients: (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)
    switch chosen {
    case .direct:
      expected = try Conv2D.directForward(input: x, weight: w, bias: b, stride: 1, padding: 1)
      expectedGradients = try Conv2D.directBackward(gradOutput: dy, input: x, weight: w, stride: 1, padding: 1)
    case .im2col, .automatic:
      expected = try Conv2D.im2colForward(input: x, weight: w, bias: b, stride: 1, padding: 1)
      expectedGradients = try Conv2D.im2colBackward(gradOutput: dy, input: x, weight: w, stride: 1, padding: 1)
    case .winograd:
      expected = try Conv2D.winogradForward(input: x, weight: w, bias: b, stride: 1, padding: 1)
      expectedGradients = try Conv2D.winogradBackward(gradOutput: dy, input: x, weight: w, stride: 1, padding: 1)
    case .fft:
      expected = try Conv2D.fftForward(input: x, weight: w, bias: b, stride: 1, padding: 1)
      expectedGradients = try Conv2D.fftBackward(gradOutput: dy, input: x, weight: w, stride: 1, padding: 1)
    }
    let output = try Conv2D.forward(input: x, weight: w, bias: b, stride: 1, padding: 1, algorithm: algorithm)
    #expect(output.scalars == expected.scalars)
    let gradients = try Conv2D.backward(gradOutput: dy, input: x, weight: w, stride: 1, padding: 1, algorithm: algorithm)
    #expect(gradients.gradInput.scalars == expectedGradients.gradInput.scalars)
    #expect(gradients.gradWeight.scalars == expectedGradients.gradWeight.scalars)
    #expect(gradients.gradBias.scalars == expectedGradients.gradBias.scalars)
  }

  @Test("asking for Winograd where it does not apply is an error, not a silent im2col")
  func winogradRefusesOtherKernels() throws {
    let (x, w, b, _) = try ConvolutionCase(n: 1, c: 2, o: 2, h: 8, w: 8, k: 5, s: 1, p: 2).operands(seed: 3)
    #expect(throws: CNNError.self) {
      try Conv2D.forward(input: x, weight: w, bias: b, stride: 1, padding: 2, algorithm: .winograd)
    }
    #expect(try Conv2D.forwardWorkspaceCount(.winograd, input: x.shape, weight: w.shape, stride: 1, padding: 2) == nil)
  }

  @Test("forwardWorkspaceCount is what the im2col and Winograd forward passes allocate",
        arguments: [ConvolutionAlgorithm.im2col, .winograd])
  func workspaceCountMatchesAllocation(_ algorithm: ConvolutionAlgorithm) throws {
    let shapes = [
      ConvolutionCase(n: 4, c: 3, o: 5, h: 12, w: 10, k: 3, s: 1, p: 1),
      ConvolutionCase(n: 1, c: 2, o: 4, h: 9, w: 7, k: 3, s: 1, p: 0),
    ]
    for shape in shapes {
      let (x, w, b, _) = try shape.operands(seed: 5)
      let workspace = ConvolutionWorkspace()
      _ = try Conv2D.forward(
        input: x, weight: w, bias: b, stride: 1, padding: shape.p, algorithm: algorithm, workspace: workspace)
      let counted = try #require(
        try Conv2D.forwardWorkspaceCount(algorithm, input: x.shape, weight: w.shape, stride: 1, padding: shape.p))
      // Winograd's transformed kernels (16, O, C) are an array outside the per-thread workspace.
      let kernels = algorithm == .winograd ? 16 * shape.o * shape.c : 0
      #expect(workspace.floatCount + kernels == counted, "\(shape)")
    }
  }

  @Test("workspace sizes by hand: a 1x1 im2col needs none, the FFT's on its 8x8 grid, direct none")
  func workspaceCountsByHand() throws {
    // 1x1 kernel, stride 1, no padding: the column matrix is the image itself.
    #expect(try Conv2D.forwardWorkspaceCount(.im2col, input: [2, 3, 6, 6], weight: [4, 3, 1, 1], stride: 1, padding: 0) == 0)
    #expect(try Conv2D.forwardWorkspaceCount(.direct, input: [2, 3, 6, 6], weight: [4, 3, 3, 3], stride: 1, padding: 1) == 0)
    // 5x5 input, padding 1 → 7x7 → an 8x8 grid, half spectrum S = 8 · 5 = 40. One kernel pair:
    // 2S for its spectrum; two threads (N = 2), each 2S of input spectra + 2S accumulator + 64 grid.
    let grid = Conv2D.fftGridSize(height: 5, width: 5, padding: 1)
    #expect(grid.height == 8 && grid.width == 8)
    let oblong = Conv2D.fftGridSize(height: 9, width: 4, padding: 0)
    #expect(oblong.height == 16 && oblong.width == 4)
    #expect(try Conv2D.forwardWorkspaceCount(.fft, input: [2, 1, 5, 5], weight: [1, 1, 3, 3], stride: 1, padding: 1)
            == 80 + 2 * (80 + 80 + 64))
  }

  @Test("the array gemm honours maxThreads and equals naiveGemm")
  func arrayGemmThreads() {
    var rng = SeededGenerator(seed: 8)
    let (m, n, k) = (67, 129, 45)
    let a = Tensor(randomNormal: [m, k], using: &rng).scalars
    let b = Tensor(randomNormal: [k, n], using: &rng).scalars
    var reference = [Float](repeating: 0, count: m * n)
    naiveGemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, b: b, c: &reference, accumulate: false)
    for threads in [1, 2] {
      var c = [Float](repeating: 0, count: m * n)
      gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, b: b, c: &c, accumulate: false,
           maxThreads: threads)
      let worst = zip(c, reference).map { abs($0 - $1) }.max() ?? 0
      #expect(worst < 1e-4, "maxThreads \(threads): max difference \(worst)")
    }
  }
}
