// Chapter 10: fast convolution II. The FFT turns a convolution into an elementwise product of
// spectra, whose cost hardly depends on the kernel size; Winograd F(2x2,3x3) computes a 3x3 layer
// with 16 multiplications per 2x2 output tile instead of 36. Where each one wins is measured here.

import CNN
import Foundation
import Plotting
import Benchmarks

/// Chapter 10: two algebraic tricks beat the matrix product, each on its own ground.
struct FFTAndWinograd: Chapter {
  static let number = 10
  static let slug = "fft-winograd"
  static let title = "Fast convolution II: FFT and Winograd F(2x2,3x3)"

  func run(_ page: Page) throws {
    page.prose("""
      im2col + GEMM (chapter 9) still does all $C K^2$ multiply-adds per output. Two older ideas do
      fewer. The **convolution theorem** turns correlation into an elementwise product of Fourier
      transforms, so the kernel size drops out of the cost; **Winograd's minimal filtering**
      rearranges a small tile's sums so that most products become additions.
      """)
    page.math(
      #"X \star W = \mathcal{F}^{-1}\big(\mathcal{F}(X) \cdot \overline{\mathcal{F}(W)}\big) \quad \text{(circular, on an } F \times F \text{ grid; no wrap-around when } F \ge H + 2P)"#,
      #"Y_{2\times 2} = A^\top \Big[ (G\, g\, G^\top) \odot (B^\top d\, B) \Big] A \quad \text{(a 4x4 input tile } d \text{, a 3x3 kernel } g \text{: 16 products instead of 36)}"#)
    page.code("Sources/CNN/FFT/FFT.swift", "Sources/CNN/Layers/Conv2D+FFT.swift", "Sources/CNN/Layers/Conv2D+Winograd.swift",
              "Sources/CNN/Layers/Conv2D+Im2col.swift", "Sources/CNN/Layers/Conv2D.swift")
    let quick = page.isQuick

    // Step 1: a digit, a kernel and their product in the frequency domain.
    page.step("Image, kernel and product spectra")
    let test = try page.dataset(.test, atLeast: 1, for: "a digit to transform")
    let digit = test.image(0)  // (28, 28)
    let sobel = Tensor(shape: [1, 1, 3, 3], scalars: [-1, 0, 1, -2, 0, 2, -1, 0, 1])  // Sobel x: vertical edges
    let side = 32  // the smallest power of two ≥ 28 (no padding), so no output wraps around
    let plan = try FFT2D(height: side, width: side)
    let imageSpectrum = plan.forward(Self.embedded(digit, side: side))
    let kernelSpectrum = plan.forward(Self.embedded(sobel.plane(0, 0), side: side))
    // Correlation theorem: R = X · conj(W), elementwise on the half spectrum.
    let (xr, xi, wr, wi) = (imageSpectrum.real, imageSpectrum.imaginary, kernelSpectrum.real, kernelSpectrum.imaginary)
    let productReal = xr * wr + xi * wi
    let productImaginary = xi * wr - xr * wi
    let circular = plan.inverse(real: productReal, imaginary: productImaginary)  // (32, 32)
    let valid = 28 - 3 + 1
    let viaFFT = Tensor(shape: [valid, valid]) { circular[$0 / valid, $0 % valid] }
    let direct = try Conv2D.directForward(input: digit.asImageBatch(), weight: sobel, bias: nil, stride: 1, padding: 0).plane(0, 0)
    let libraryFFT = try Conv2D.fftForward(input: digit.asImageBatch(), weight: sobel, bias: nil, stride: 1, padding: 0).plane(0, 0)
    let handError = relativeDifference(viaFFT, direct)
    let libraryError = relativeDifference(libraryFFT, direct)
    page.number("spectrum size (H x (W/2 + 1))", plan.spectrumCount, key: "spectrum_count")
    page.number("max |IFFT(X · conj W) − direct| / max |direct|", handError, format: .scientific(2), key: "digit_fft_error")
    page.prose("""
      The digit and the 3x3 Sobel-x kernel are each placed in the corner of a \(side)x\(side) grid of
      zeros and transformed (`FFT2D`, a real FFT of every row then a complex FFT of every column;
      real input needs only the half spectrum, \(plan.height)x\(plan.spectrumWidth) =
      \(plan.spectrumCount) complex numbers). Multiplying the image's spectrum by the conjugate of
      the kernel's and transforming back gives the correlation on the grid; its top-left
      \(valid)x\(valid) corner equals the direct convolution to \(formatted(handError, .scientific(1)))
      (relative), rounding in the transforms.
      """)
    let spectra = [("log(1+|X|): digit", Self.centredLogMagnitude(imageSpectrum, side: side)),
                   ("log(1+|W|): Sobel x", Self.centredLogMagnitude(kernelSpectrum, side: side)),
                   ("log(1+|X conj W|)", Self.centredLogMagnitude((productReal, productImaginary), side: side))]
    try page.figure("spectra.png", imageGrid(
      spectra.map(\.1), labels: spectra.map(\.0), columns: 3, colorMap: .sequential, scaling: .perTile,
      enlargement: 7, showColorBar: false), caption: """
      Log-magnitude spectra on the \(side)x\(side) grid, zero frequency in the centre, horizontal \
      frequency left to right, vertical top to bottom (yellow = large, dark purple = near zero, \
      each panel on its own scale). The digit's energy sits near the centre (smooth strokes). The \
      Sobel-x kernel is zero along the vertical centre line (a derivative across x kills anything \
      constant along x) and at the left and right edges, and fades towards the top and bottom \
      (its [1, 2, 1] smoothing along y). Their \
      product, right, is the digit's spectrum with that line cut out.
      """)
    try page.figure("fft-convolution.png", Figures.stack([
      Figures.digitGrid([digit], labels: ["digit X, 28x28"], columns: 1, scale: 5),
      Figures.panels([("Sobel x (3x3)", sobel.plane(0, 0))], signed: true, scale: 30),
      Figures.panels([("IFFT(X conj W), 32x32", circular), ("its top-left 26x26", viaFFT),
                      ("direct, 26x26", direct)], signed: true, scale: 6),
    ], horizontally: true), caption: """
      The inverse transform of the product (red positive, blue negative, white zero): the left \
      edge of every stroke turns red and the right edge blue, exactly as the direct Sobel-x \
      output on the right. The last \(side - valid) rows and columns of the \(side)x\(side) grid \
      are the circular wrap-around (positions whose window runs off the image), thrown away.
      """)

    // Step 2: Winograd's transforms and one tile worked through.
    page.step("Winograd F(2x2,3x3): the transforms and one tile")
    page.prose("""
      A 3x3 kernel on a 4x4 input tile gives a 2x2 output tile; neighbouring tiles overlap by two
      pixels, so the tiles step by 2 across the image. For each tile, four small matrix steps:
      transform the kernel, $U = G g G^\\top$ (4x4, once per kernel, reused by every tile);
      transform the input tile, $V = B^\\top d B$ (4x4); multiply elementwise, $M = U \\odot V$;
      transform back, $Y = A^\\top M A$ (2x2). The matrices are fixed numbers (Lavin & Gray, 2015),
      chosen so that only the elementwise product multiplies.
      """)
    let gMatrix = Winograd.kernelTransform.map { $0.map(Double.init) }  // G, 4x3
    let bT = Winograd.inputTransform.map { $0.map(Double.init) }  // Bᵀ, 4x4
    let aT = Winograd.outputTransform.map { $0.map(Double.init) }  // Aᵀ, 2x4
    try page.figure("winograd-transforms.png", Figures.stack([
      Self.matrix(gMatrix, "G (4x3): kernel", limits: -1...1),
      Self.matrix(bT, "B^T (4x4): input tile", limits: -1...1),
      Self.matrix(aT, "A^T (2x4): output", limits: -1...1),
    ], horizontally: true, gap: 24), caption: """
      The three fixed matrices of F(2x2,3x3) (red +, blue −, white 0). Bᵀ and Aᵀ hold only 0 and \
      ±1: transforming an input tile and the result costs additions only. G holds halves, but it \
      transforms the kernel, once per kernel, not once per tile.
      """)
    let d: [[Float]] = [[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 0, 2]]  // a 4x4 input tile
    let g: [[Float]] = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]  // Sobel x, as a 3x3 kernel
    let (matrixG, matrixBT, matrixAT) = (Winograd.kernelTransform, Winograd.inputTransform, Winograd.outputTransform)  // G, Bᵀ, Aᵀ
    let u = Winograd.multiply(Winograd.multiply(matrixG, g), Winograd.transposed(matrixG))  // G g Gᵀ
    let v = Winograd.multiply(Winograd.multiply(matrixBT, d), Winograd.transposed(matrixBT))  // Bᵀ d B
    let m = zip(u, v).map { zip($0, $1).map { $0 * $1 } }  // U ⊙ V: the 16 multiplications
    let yByHand = Winograd.multiply(Winograd.multiply(matrixAT, m), Winograd.transposed(matrixAT))  // Aᵀ M A
    let winogradTile = Winograd.tile(input: d, kernel: g)
    let directTile = Winograd.directTile(input: d, kernel: g)
    let tileDifference = zip(winogradTile.output.joined(), directTile.output.joined()).map { abs($0 - $1) }.max()!
    let handDifference = zip(yByHand.joined(), directTile.output.joined()).map { abs($0 - $1) }.max()!
    func cells(_ matrix: [[Float]]) -> [[Double]] { matrix.map { $0.map(Double.init) } }
    try page.figure("winograd-tile.png", Figures.stack([
      Figures.stack([
        Self.matrix(cells(g), "kernel g"),
        Self.matrix(cells(u), "U = G g G^T"),
        Self.matrix(cells(d), "tile d"),
        Self.matrix(cells(v), "V = B^T d B"),
      ], horizontally: true, gap: 16),
      Figures.stack([
        Self.matrix(cells(m), "M = U (x) V"),
        Self.matrix(cells(winogradTile.output), "Y = A^T M A"),
        Self.matrix(cells(directTile.output), "Y direct"),
      ], horizontally: true, gap: 16),
    ], horizontally: false, gap: 16), caption: """
      One tile worked through (red +, blue −). Top: the kernel g and its transform U (computed \
      once per kernel), the input tile d and its transform V (additions only). Bottom: the 16 \
      elementwise products M = U ⊙ V (the only multiplications per tile), and the 2x2 output \
      Aᵀ M A (additions only) beside the direct result, 36 multiplications: the same four numbers.
      """)
    let winogradCount = Winograd.multiplicationsPerTile
    let directCount = Winograd.directMultiplicationsPerTile
    page.number("multiplications per 2x2 tile, Winograd (counted)", winogradCount, key: "winograd_multiplications")
    page.number("multiplications per 2x2 tile, direct (counted)", directCount, key: "direct_multiplications")
    page.prose("""
      `Winograd.tile` counts the products it makes while computing a tile: \(winogradCount), against
      \(directCount) counted by `Winograd.directTile` ($2 \\cdot 2$ outputs $\\times$ $3 \\cdot 3$
      taps), a \(formatted(Double(directCount) / Double(winogradCount), .fixed(2)))x saving. On this
      tile both give \(directTile.output.map { "[" + $0.map { String(Int($0)) }.joined(separator: ", ") + "]" }.joined(separator: ", ")).
      Over $C$ input and $O$ output channels the 16 elementwise products become 16 matrix products
      $(O, C) \\cdot (C, \\text{tiles})$, so `Conv2D.winogradForward` still rides on the GEMM of
      chapter 9, with 2.25 times fewer multiplications. Its catch: only 3x3 kernels at stride 1, and the halves
      in $G$ and the sums in $B^\\top$ grow rounding a little.
      """)

    // Step 3: the crossover — time against kernel size for every algorithm.
    page.step("Time against kernel size: the crossover")
    let (batch, channels, size) = quick ? (2, 4, 16) : (4, 16, 32)
    let kernelSizes = quick ? [1, 3, 5, 7] : [1, 3, 5, 7, 9, 11, 13, 15]
    let timer = Benchmark(repetitions: quick ? 2 : 5, warmups: 1)
    // The direct loops need seconds per call at large K (chapter 9): one run each, and only up to 7x7.
    let directTimer = Benchmark(repetitions: 1, warmups: 0)
    let directLimit = 7
    var generator = page.generator(stream: 10)
    let input = Tensor(randomNormal: [batch, channels, size, size], using: &generator)
    var times: [ConvolutionAlgorithm: [Double]] = [:]
    var timeRows: [[String]] = []
    let progress = page.progress("timing 4 algorithms", total: kernelSizes.count, unit: "kernel sizes")
    for k in kernelSizes {
      let padding = k / 2  // "same" output size, the usual choice
      let weight = Tensor(randomNormal: [channels, channels, k, k], standardDeviation: 0.1, using: &generator)
      let gradOutput = Tensor(randomNormal: [batch, channels, size, size], using: &generator)
      let grid = Conv2D.fftGridSize(height: size, width: size, padding: padding)
      var row = ["\(k)x\(k)", "\(grid.height)x\(grid.width)"]
      for algorithm in [ConvolutionAlgorithm.direct, .im2col, .fft, .winograd] {
        guard algorithm != .winograd || Conv2D.winogradApplies(kernelSize: k, stride: 1) else { row.append("—"); continue }
        guard algorithm != .direct || k <= directLimit else { row.append("—"); continue }
        // One forward and one backward pass: what a training step costs this layer.
        let seconds = try (algorithm == .direct ? directTimer : timer).measure {
          _ = try Conv2D.forward(input: input, weight: weight, bias: nil, stride: 1, padding: padding, algorithm: algorithm)
          _ = try Conv2D.backward(gradOutput: gradOutput, input: input, weight: weight, stride: 1, padding: padding,
                                  algorithm: algorithm)
        }.best
        times[algorithm, default: []].append(seconds)
        row.append(milliseconds(seconds))
      }
      timeRows.append(row)
      progress.advance()
    }
    progress.finish()
    page.table(headers: ["kernel", "FFT grid", "direct", "im2col + GEMM", "FFT", "Winograd"], rows: timeRows)
    let fftTimes = times[.fft]!, im2colTimes = times[.im2col]!, directTimes = times[.direct]!
    let crossover = zip(kernelSizes, zip(fftTimes, im2colTimes)).first { $0.1.0 < $0.1.1 }?.0
    let fftOverIm2colAtLargest = im2colTimes.last! / fftTimes.last!
    let winogradOverIm2col = im2colTimes[1] / times[.winograd]![0]
    page.number("smallest kernel where FFT beats im2col (0 = none measured)", crossover ?? 0, key: "fft_crossover_kernel")
    page.number("im2col time / FFT time at the largest kernel", fftOverIm2colAtLargest, format: .fixed(2), key: "fft_speedup_largest_kernel")
    page.number("im2col time / Winograd time at 3x3", winogradOverIm2col, format: .fixed(2), key: "winograd_speedup_3x3")
    page.number("direct time / im2col time at \(directLimit)x\(directLimit)", directTimes.last! / im2colTimes[directTimes.count - 1],
                format: .fixed(1), key: "im2col_speedup_direct_limit")
    page.prose("""
      One forward and one backward pass of a layer with N=\(batch), C=O=\(channels), \(size)x\(size)
      inputs, padding K/2, best of \(timer.repetitions), measured now. im2col's cost grows with
      $K^2$; the FFT's barely moves once the grid is fixed, because every kernel is transformed onto
      the same grid and the product is elementwise whatever $K$ is. The grid must hold the padded
      input ($H + 2P$, rounded up to a power of two), so the FFT's time steps up where the padding
      pushes the grid to the next power of two (the "FFT grid" column), not with $K^2$.
      \(crossover.map { "In this run the FFT overtakes im2col at K = \($0)" } ?? "In this run the FFT never overtakes im2col")
      (\(formatted(fftOverIm2colAtLargest, .fixed(2)))x at K = \(kernelSizes.last!));
      `ConvolutionAlgorithm.automatic` switches to the FFT from K = \(Conv2D.fftMinimumKernelSize),
      a rule set from the kernel helper's measurements. At 3x3, Winograd ran at
      \(formatted(winogradOverIm2col, .fixed(2)))x im2col's speed in this run (above 1 is faster).
      Its forward pass needs 2.25 times fewer multiplications, but the transforms cost additions
      and memory traffic, its 16 GEMMs are only C = \(channels) deep, and its backward pass computes
      dW by im2col anyway, so the measured gain is smaller than 2.25 and, on a shared machine, noisy. The direct loops, timed once each and only
      up to \(directLimit)x\(directLimit) because they need seconds beyond, lose everywhere.
      """)
    let ks = kernelSizes.map(Double.init)
    try page.figure("crossover.png", lineChart([
      Series("direct (to \(directLimit)x\(directLimit))", x: Array(ks.prefix(directTimes.count)), y: directTimes.map { $0 * 1e3 }, color: Color.palette[3], markers: true),
      Series("im2col + GEMM", x: ks, y: im2colTimes.map { $0 * 1e3 }, color: Color.palette[0], markers: true),
      Series("FFT", x: ks, y: fftTimes.map { $0 * 1e3 }, color: Color.palette[1], markers: true),
      Series("Winograd (3x3 only)", x: [3], y: times[.winograd]!.map { $0 * 1e3 }, color: Color.palette[2], markers: true),
    ], title: "forward + backward, N=\(batch) C=O=\(channels) \(size)x\(size), measured",
       xLabel: "kernel size K", yLabel: "time (ms, log scale)", logY: true), caption: """
      Time of one forward + backward pass against the kernel size (log scale: each grid line is a \
      factor). Follow the im2col line up as K grows and the nearly flat FFT line: where they cross \
      is where the FFT starts to pay. Winograd is a single green point at K = 3, the only size it \
      handles (when it is as fast as im2col it sits on the blue point; the table has both times).
      """)

    // Step 4: memory per algorithm.
    page.step("Memory per algorithm")
    let memoryKernels = quick ? [3, 7] : [3, 11]
    var memoryRows: [[String]] = []
    for algorithm in [ConvolutionAlgorithm.direct, .im2col, .fft, .winograd] {
      var row = [algorithm.rawValue, Self.workspaceFormula(algorithm)]
      for k in memoryKernels {
        let bytes = try Self.workspaceBytes(algorithm, batch: batch, channels: channels, kernelSize: k, size: size)
        row.append(bytes.map { FastConvolution.bytes($0) } ?? "—")
      }
      memoryRows.append(row)
    }
    page.table(headers: ["algorithm", "forward workspace in floats (T = 2 threads)"] + memoryKernels.map { "at K = \($0)" },
               rows: memoryRows)
    let inputBytes = 4 * batch * channels * size * size
    let fftBytes = try Self.workspaceBytes(.fft, batch: batch, channels: channels, kernelSize: 3, size: size)!
    page.number("FFT workspace / input batch at K = 3", Double(fftBytes) / Double(inputBytes), format: .fixed(2), key: "fft_memory_ratio")
    page.prose("""
      Workspace beyond input and output as `Conv2D.forwardWorkspaceCount` reports it, from the
      same helpers each forward function sizes its buffers with, for the layer above; the
      input batch itself is \(FastConvolution.bytes(inputBytes)). im2col's column matrix grows with
      $K^2$. The FFT stores a spectrum for every kernel pair $(O, C)$ on the whole grid, however small
      the kernel: at K = 3 that is \(formatted(Double(fftBytes) / Double(inputBytes), .fixed(2)))x the
      input batch, the price of its flat time curve. Winograd keeps 16 transformed planes per channel.
      """)

    // Checks: every fast path equals the direct reference.
    page.step("FFT and Winograd agree with the direct convolution")
    var checkGenerator = page.generator(stream: 11)
    var fftForwardError: Float = 0, fftBackwardError: Float = 0, winogradForwardError: Float = 0, winogradBackwardError: Float = 0
    var agreementRows: [[String]] = []
    for trial in 0..<(quick ? 4 : 8) {
      // Even trials are 3x3 at stride 1, so Winograd runs on half of them.
      let k = trial % 2 == 0 ? 3 : Int.random(in: 1...7, using: &checkGenerator)
      let stride = trial % 2 == 0 ? 1 : Int.random(in: 1...2, using: &checkGenerator)
      let padding = Int.random(in: 0...min(2, k - 1), using: &checkGenerator)
      let (n, c, o) = (Int.random(in: 1...3, using: &checkGenerator), Int.random(in: 1...6, using: &checkGenerator),
                       Int.random(in: 1...6, using: &checkGenerator))
      let (h, w) = (Int.random(in: (k + 1)...20, using: &checkGenerator), Int.random(in: (k + 1)...20, using: &checkGenerator))
      let x = Tensor(randomNormal: [n, c, h, w], using: &checkGenerator)
      let weight = Tensor(randomNormal: [o, c, k, k], using: &checkGenerator)
      let bias = Tensor(randomNormal: [o], using: &checkGenerator)
      let reference = try Conv2D.directForward(input: x, weight: weight, bias: bias, stride: stride, padding: padding)
      let dy = Tensor(randomNormal: reference.shape, using: &checkGenerator)
      let slow = try Conv2D.directBackward(gradOutput: dy, input: x, weight: weight, stride: stride, padding: padding)
      func backwardError(_ fast: (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)) -> Float {
        max(relativeDifference(fast.gradInput, slow.gradInput), relativeDifference(fast.gradWeight, slow.gradWeight),
            relativeDifference(fast.gradBias, slow.gradBias))
      }
      let fftF = relativeDifference(try Conv2D.fftForward(input: x, weight: weight, bias: bias, stride: stride, padding: padding), reference)
      let fftB = backwardError(try Conv2D.fftBackward(gradOutput: dy, input: x, weight: weight, stride: stride, padding: padding))
      fftForwardError = max(fftForwardError, fftF)
      fftBackwardError = max(fftBackwardError, fftB)
      var winogradText = ["—", "—"]
      if Conv2D.winogradApplies(kernelSize: k, stride: stride) {
        let wF = relativeDifference(
          try Conv2D.winogradForward(input: x, weight: weight, bias: bias, stride: stride, padding: padding), reference)
        let wB = backwardError(try Conv2D.winogradBackward(gradOutput: dy, input: x, weight: weight, stride: stride, padding: padding))
        winogradForwardError = max(winogradForwardError, wF)
        winogradBackwardError = max(winogradBackwardError, wB)
        winogradText = [formatted(wF, .scientific(1)), formatted(wB, .scientific(1))]
      }
      agreementRows.append(["\(x.shape)", "\(weight.shape)", "\(stride)", "\(padding)",
                            formatted(fftF, .scientific(1)), formatted(fftB, .scientific(1))] + winogradText)
    }
    page.table(headers: ["input", "weight", "stride", "padding", "FFT fwd", "FFT bwd", "Winograd fwd", "Winograd bwd"],
               rows: agreementRows)
    page.number("worst relative error, FFT forward", fftForwardError, format: .scientific(2), key: "fft_forward_error")
    page.number("worst relative error, FFT backward", fftBackwardError, format: .scientific(2), key: "fft_backward_error")
    page.number("worst relative error, Winograd forward", winogradForwardError, format: .scientific(2), key: "winograd_forward_error")
    page.number("worst relative error, Winograd backward", winogradBackwardError, format: .scientific(2), key: "winograd_backward_error")
    page.prose("""
      Errors are $\\max|\\text{fast} - \\text{direct}| / \\max|\\text{direct}|$ over random shapes
      (every other one a 3x3 at stride 1, so Winograd runs on half of them). The FFT's rounding does not
      stay local: each output mixes every pixel of the grid through $\\log_2 F$ butterfly stages, so
      its error tracks the whole signal's size, of order $10^{-6}$ relative here; the tolerance
      $10^{-4}$ is 100 times that and still 10,000 times below a wrong index or a missing
      conjugate. Winograd's transforms add and halve a few numbers per tile, a handful of extra
      roundings: tolerance $10^{-5}$, as for im2col in chapter 9.
      """)

    page.check("FFT by hand on a digit = direct convolution (relative)", handError, atMost: 1e-5)
    page.check("Conv2D.fftForward on the digit = direct (relative)", libraryError, atMost: 1e-5)
    page.check("FFT forward = direct on random shapes (relative)", fftForwardError, atMost: 1e-4)
    page.check("FFT backward = direct (dX, dW, db) on random shapes (relative)", fftBackwardError, atMost: 1e-4)
    page.check("Winograd forward = direct on random 3x3 shapes (relative)", winogradForwardError, atMost: 1e-5)
    page.check("Winograd backward = direct (dX, dW, db) on random 3x3 shapes (relative)", winogradBackwardError, atMost: 1e-5)
    page.check("Winograd tile = direct tile, and the matrices by hand agree", max(tileDifference, handDifference), atMost: 0)
    page.check("Winograd multiplications per 2x2 tile, counted by the code", winogradCount, equals: 16)
    page.check("direct multiplications per 2x2 tile, counted by the code", directCount, equals: 36)

    page.tryThis("""
      In `Lessons/10-FFTAndWinograd.swift`, step 1, drop the conjugate: set `productReal = xr * wr - \
      xi * wi` and `productImaginary = xi * wr + xr * wi`. The inverse is now a true convolution, \
      the kernel turned by 180° (chapter 2), landing two pixels further down and right: the \
      stroke edges in fft-convolution.png swap red and blue and shift, and the first check fails \
      with an error of order 1.
      """)
    page.tryThis("""
      In step 3, change `(4, 16, 32)` to `(4, 64, 32)` (64 channels). Every algorithm gets slower, \
      but Winograd's 16 GEMMs are now 64 deep and its lead over im2col at 3x3 should grow; the FFT \
      crossover moves too, because its elementwise products scale with C·O like everything else.
      """)
  }

  // MARK: - Helpers for the figures and the timing table

  /// A (h, w) plane in the top-left corner of a side x side grid of zeros.
  static func embedded(_ plane: Tensor, side: Int) -> Tensor {
    var grid = Tensor(zeros: [side, side])
    for y in 0..<plane.shape[0] {
      for x in 0..<plane.shape[1] { grid[y, x] = plane[y, x] }
    }
    return grid
  }

  /// log(1 + |X|) on the full side x side grid with zero frequency in the centre, from a half
  /// spectrum (side, side/2 + 1): for real input X[u, v] = conj X[−u, −v], so |X| is symmetric.
  static func centredLogMagnitude(_ spectrum: (real: Tensor, imaginary: Tensor), side: Int) -> Tensor {
    let halfWidth = side / 2 + 1
    return Tensor(shape: [side, side]) { index in
      let (row, column) = (index / side, index % side)
      var (u, v) = ((row + side / 2) % side, (column + side / 2) % side)  // shift: centre = frequency 0
      if v >= halfWidth { (u, v) = ((side - u) % side, side - v) }  // the mirrored half
      let (re, im) = (spectrum.real.scalars[u * halfWidth + v], spectrum.imaginary.scalars[u * halfWidth + v])
      return log(1 + (re * re + im * im).squareRoot())
    }
  }

  /// A small signed matrix with every value written in its cell (red +, blue −), wide enough for its title.
  static func matrix(_ values: [[Double]], _ title: String, limits: ClosedRange<Double>? = nil) -> Image {
    heatmap(values, title: title, colorMap: .diverging, limits: limits,
            format: { $0 == $0.rounded() ? String(Int($0)) : String(format: "%g", $0) },
            cellSize: cellSize(fitting: title, columns: values[0].count, minimum: 48))
  }

  /// The forward workspace each algorithm allocates, as a formula for the table.
  static func workspaceFormula(_ algorithm: ConvolutionAlgorithm) -> String {
    switch algorithm {
    case .direct: "none"
    case .im2col, .automatic: "T · C·K²·H′W′ (a column matrix per thread)"
    case .fft: "O·C·2S (kernel spectra) + T · (C·2S + 2S + F²), S = F·(F/2+1)"
    case .winograd: "16·O·C (kernels) + T · (C·P² + 16·C·t + 16·O·t), t tiles, P = 2·⌈H′/2⌉ + 2"
    }
  }

  /// The forward workspace in bytes of a square stride-1 layer with padding K/2 and C = O
  /// channels, as the library allocates it; nil where the algorithm does not apply.
  static func workspaceBytes(
    _ algorithm: ConvolutionAlgorithm, batch: Int, channels: Int, kernelSize k: Int, size: Int
  ) throws -> Int? {
    try Conv2D.forwardWorkspaceCount(
      algorithm, input: [batch, channels, size, size], weight: [channels, channels, k, k], stride: 1, padding: k / 2
    ).map { MemoryLayout<Float>.size * $0 }
  }
}
