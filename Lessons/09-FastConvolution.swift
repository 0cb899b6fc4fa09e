// Chapter 9: fast convolution I. im2col copies every patch into a column so that a whole layer
// becomes one matrix product per image, and a packed, cache-blocked SIMD GEMM on two cores makes
// that product run at a large fraction of the machine's peak.

import CNN
import Foundation
import Plotting
import Benchmarks

/// Chapter 9: a convolution is one big matrix product, and a good matrix product runs near the machine's peak.
struct FastConvolution: Chapter {
  static let number = 9
  static let slug = "fast-convolution"
  static let title = "Fast convolution I: im2col + GEMM, cache blocking, SIMD, two cores"

  func run(_ page: Page) throws {
    page.prose("""
      The direct convolution of chapter 2 is seven nested loops that read each input pixel up to
      $K^2$ times from scattered places and do one multiply-add at a time. Fast libraries rewrite
      it as a **matrix product**: copy the $C \\cdot K \\cdot K$ pixels under every kernel position
      into one column of a matrix (*im2col*), and all $O$ kernels at all $H' W'$ positions become a
      single GEMM:
      """)
    page.math(
      #"\text{cols}[(c K + i) K + j,\ y W' + x] = X[c,\ yS + i - P,\ xS + j - P]"#,
      #"Y_{(O,\ H'W')} = W_{(O,\ CKK)} \cdot \text{cols}_{(CKK,\ H'W')} + b \qquad \text{FLOP} = 2\, O\, C K^2\, H' W' \text{ per image}"#)
    page.prose("""
      The backward pass is two more GEMMs and *col2im*, which adds every column entry back onto the
      pixel it came from: $dW \\mathrel{+}= dY \\cdot \\text{cols}^\\top$ and
      $dX = \\text{col2im}(W^\\top dY)$. Copying costs memory ($K^2$ times the input, roughly) but
      buys a GEMM, the one kernel that decades of work have taught to run near the hardware's
      limit: pack the operands so they are read sequentially, block them so they stay in the L1/L2
      caches, keep a 6x16 tile of the result in 12 AVX2 registers updated with fused multiply-adds,
      and split the work over the two cores.
      """)
    page.code("Sources/CNN/Layers/Conv2D+Im2col.swift", "Sources/CNN/Tensor/Matmul.swift",
              "Sources/CNN/Tensor/Matmul+Blocked.swift", "Sources/CNN/Layers/Conv2D.swift",
              "Sources/Benchmarks/Benchmark.swift")
    let quick = page.isQuick

    // Step 1: im2col on a tiny image whose pixels are numbered.
    page.step("How patches become columns")
    let toy = Tensor(shape: [1, 4, 5]) { Float($0 + 1) }  // one channel, pixels numbered 1...20
    let k = 3  // the kernel size; stride 1, no padding
    let columns = try im2col(toy, kernelSize: k, stride: 1, padding: 0)  // (1·K·K, H′·W′) = (9, 2·3)
    let (outHeight, outWidth) = (4 - k + 1, 5 - k + 1)
    func patch(_ y: Int, _ x: Int) -> [[Double]] {
      (0..<k).map { i in (0..<k).map { j in Double(toy[0, y + i, x + j]) } }
    }
    var columnsMatchPatches = true
    for y in 0..<outHeight {
      for x in 0..<outWidth {
        let column = (0..<k * k).map { Double(columns[$0, y * outWidth + x]) }
        columnsMatchPatches = columnsMatchPatches && column == patch(y, x).flatMap { $0 }
      }
    }
    // col2im of all ones counts how many patches read each pixel: the copies im2col makes.
    let copies = try col2im(Tensor(repeating: 1, shape: columns.shape), channels: 1, height: 4, width: 5,
                        kernelSize: k, stride: 1, padding: 0)
    page.number("column matrix rows (C·K·K)", columns.shape[0], key: "toy_rows")
    page.number("column matrix columns (H′·W′)", columns.shape[1], key: "toy_columns")
    page.number("pixels in the image", toy.count, key: "toy_pixels")
    page.number("entries in the column matrix", columns.count, key: "toy_entries")
    page.prose("""
      A 4x5 image with pixels numbered 1 to 20 and a \(k)x\(k) kernel: there are
      $\(outHeight) \\times \(outWidth)$ kernel positions, so `im2col` returns a \(columns.shape[0])x\(columns.shape[1]) matrix whose column
      $y W' + x$ is the patch under output pixel $(y, x)$, read row by row. The image has
      \(toy.count) numbers, the column matrix \(columns.count): the centre pixels are copied into
      up to \(Int(copies.max())) columns, which `col2im` of a matrix of ones counts.
      """)
    let limits = 0.0...20.0
    let picked = [(0, 0), (0, 2), (1, 1)]
    var figurePanels: [Image] = [
      heatmap(toy.reshaped(to: [4, 5]).rows(), rowLabels: ["y0", "y1", "y2", "y3"], columnLabels: ["x0", "x1", "x2", "x3", "x4"],
              title: "image, 4x5", colorMap: .blues, limits: limits, format: { String(Int($0)) }, cellSize: 36),
    ]
    for (y, x) in picked {
      figurePanels.append(heatmap(patch(y, x), title: "patch (\(y),\(x))", xLabel: "-> column \(y * outWidth + x)",
                                  colorMap: .blues, limits: limits, format: { String(Int($0)) },
                                  cellSize: cellSize(fitting: "-> column 10", columns: k, minimum: 36)))
    }
    let columnsFigure = heatmap(
      columns.rows(), rowLabels: (0..<k * k).map { "i\($0 / k) j\($0 % k)" },
      columnLabels: (0..<columns.shape[1]).map { "\($0)" }, title: "im2col: (\(columns.shape[0]), \(columns.shape[1]))", xLabel: "column = y*W'+x",
      yLabel: "row = tap (i, j)", colorMap: .blues, limits: limits, format: { String(Int($0)) }, cellSize: 36)
    let copiesFigure = heatmap(copies.reshaped(to: [4, 5]).rows(), title: "col2im(ones)", xLabel: "copies of each pixel", colorMap: .blues,
                               format: { String(Int($0)) }, cellSize: cellSize(fitting: "copies of each pixel", columns: 5, minimum: 36))
    try page.figure("im2col.png", Figures.stack([
      Figures.stack(figurePanels, horizontally: true, gap: 16),
      Figures.stack([columnsFigure, copiesFigure], horizontally: true, gap: 24),
    ], horizontally: false, gap: 16), caption: """
      Top: a 4x5 image with numbered pixels and three of its \(k)x\(k) patches. Bottom left: the \
      column matrix im2col builds; find each patch's numbers, read row by row, in the column \
      named after it (patch (0,0) is column 0). Bottom right: col2im of a \
      matrix of ones, how many columns hold a copy of each pixel; this is the memory im2col pays.
      """)

    // Step 2: a LeNet layer as a matrix product.
    page.step("The GEMM view of LeNet-5's convolutions")
    let lenetLayers = [
      LayerShape(name: "LeNet conv1", key: "lenet_conv1", batch: 64, c: 1, o: 6, k: 5, p: 2, size: 28),
      LayerShape(name: "LeNet conv2", key: "lenet_conv2", batch: 64, c: 6, o: 16, k: 5, p: 0, size: 14),
    ]
    var gemmRows: [[String]] = []
    for layer in lenetLayers {
      let out = try layer.outputSize()
      gemmRows.append([
        layer.name, "(\(layer.c), \(layer.size), \(layer.size)), K=\(layer.k), P=\(layer.p)",
        "(\(layer.o), \(layer.c * layer.k * layer.k))", "(\(layer.c * layer.k * layer.k), \(out * out))",
        "(\(layer.o), \(out * out))", formatted(try layer.flopsPerImage()),
      ])
    }
    page.table(headers: ["layer", "input per image, kernel", "W (M, K)", "cols (K, N)", "Y (M, N)", "FLOP per image"],
               rows: gemmRows)
    let conv2Flops = page.number("LeNet conv2 FLOP per image", try lenetLayers[1].flopsPerImage(), key: "conv2_flops_per_image")
    page.prose("""
      Written as GEMMs, LeNet's layers are short and wide: only \(lenetLayers[0].o) or
      \(lenetLayers[1].o) rows (the output channels) against hundreds of columns (the positions).
      conv2 costs \(conv2Flops) floating-point operations per image. A GEMM's rows and columns are
      where a fast kernel finds its parallelism and reuse; with only 6 rows, conv1's product fills
      exactly one row of 6x16 register tiles, and its depth (25) is short, so each packed block is
      used only briefly.
      """)

    // Step 3: direct against im2col, measured here.
    page.step("Speed: direct loops against im2col + GEMM")
    let timer = Benchmark(repetitions: quick ? 2 : 5, warmups: 1)
    // The direct loops take up to seconds per call and allocate no workspace: no warm-up, fewer runs.
    let directTimer = Benchmark(repetitions: 2, warmups: 0)
    let speedLayers = (lenetLayers + [LayerShape(name: "3x3, 32 channels", key: "3x3_32_channels", batch: 4, c: 32, o: 32, k: 3, p: 1, size: 32)])
      .map { quick ? $0.withBatch(max(2, $0.batch / 8)) : $0 }
    var generator = page.generator(stream: 9)
    var speedRows: [[String]] = []
    var forwardSpeedups: [Double] = []
    var backwardSpeedups: [Double] = []
    for layer in speedLayers {
      let input = Tensor(randomNormal: [layer.batch, layer.c, layer.size, layer.size], using: &generator)
      let weight = Tensor(randomNormal: [layer.o, layer.c, layer.k, layer.k], standardDeviation: 0.1, using: &generator)
      let bias = Tensor(randomNormal: [layer.o], using: &generator)
      let out = try layer.outputSize()
      let gradOutput = Tensor(randomNormal: [layer.batch, layer.o, out, out], using: &generator)
      let directForward = try directTimer.measure {
        _ = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: 1, padding: layer.p)
      }.best
      let fastForward = try timer.measure {
        _ = try Conv2D.im2colForward(input: input, weight: weight, bias: bias, stride: 1, padding: layer.p)
      }.best
      let directBackward = try directTimer.measure {
        _ = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: 1, padding: layer.p)
      }.best
      let fastBackward = try timer.measure {
        _ = try Conv2D.im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: 1, padding: layer.p)
      }.best
      forwardSpeedups.append(directForward / fastForward)
      backwardSpeedups.append(directBackward / fastBackward)
      let flops = try layer.flopsPerImage() * Double(layer.batch)
      speedRows.append([
        "\(layer.name), N=\(layer.batch)", milliseconds(directForward), milliseconds(fastForward),
        formatted(directForward / fastForward, .fixed(1)) + "x", milliseconds(directBackward), milliseconds(fastBackward),
        formatted(directBackward / fastBackward, .fixed(1)) + "x", formatted(flops / fastForward / 1e9, .fixed(1)),
      ])
    }
    page.table(headers: ["layer", "direct fwd", "im2col fwd", "speed-up", "direct bwd", "im2col bwd", "speed-up",
                         "im2col fwd GFLOP/s"], rows: speedRows)
    for (index, layer) in speedLayers.enumerated() {
      let key = layer.key
      page.number("forward speed-up on \(layer.name)", forwardSpeedups[index], format: .fixed(1), key: "forward_speedup_\(key)")
      page.number("backward speed-up on \(layer.name)", backwardSpeedups[index], format: .fixed(1), key: "backward_speedup_\(key)")
    }
    page.prose("""
      Best of \(timer.repetitions) runs after a warm-up for im2col and of \(directTimer.repetitions)
      for the slow direct loops, on this machine, now (it is shared by several jobs, so expect
      noise of tens of percent, more for the sub-millisecond timings of `--quick`). im2col + GEMM is \(formatted(forwardSpeedups.min()!, .fixed(1)))x to
      \(formatted(forwardSpeedups.max()!, .fixed(1)))x faster forward and
      \(formatted(backwardSpeedups.min()!, .fixed(1)))x to \(formatted(backwardSpeedups.max()!, .fixed(1)))x
      backward. The exact factors move from run to run; the order of magnitude does not. The direct
      loops (`Conv2D.directForward`) do one scalar multiply-add at a time, on one core, between
      index computations and padding tests, in a chain the compiler cannot vectorise (Float
      addition is not associative); the GEMM does 8 per instruction, two instructions per cycle,
      on data it has packed into cache, and im2col splits the batch over both cores.
      The last column is the GEMM's speed inside the convolution: compare it with the square
      products of step 4.
      """)
    try page.figure("speedup.png", barChart(
      categories: speedLayers.map(\.name),
      series: [BarSeries("forward", values: forwardSpeedups), BarSeries("backward", values: backwardSpeedups)],
      title: "im2col + GEMM speed-up over the direct loops (measured)", xLabel: "layer",
      yLabel: "times faster than direct"), caption: """
      How many times faster im2col + GEMM runs than the direct loops, for each layer, forward and \
      backward (higher is better; 1 would mean no gain). Look at the scale: every bar is tens to \
      hundreds of times above 1.
      """)

    // Step 4: the GEMM against the machine's peak.
    page.step("GEMM GFLOP/s against the machine's peak")
    let clock = Self.cpuClock()
    let flopsPerCycle = 32.0  // Zen 3: 2 FMA units x 8 Float lanes (AVX2) x 2 FLOP per fused multiply-add
    let peakPerCore = clock.megahertz * 1e6 * flopsPerCycle / 1e9
    page.number("clock used for the peak (MHz)", clock.megahertz, format: .fixed(0), key: "clock_mhz")
    let peakText = page.number("peak per core (GFLOP/s)", peakPerCore, format: .fixed(1), key: "peak_gflops_per_core")
    page.prose("""
      A Zen 3 core issues two 8-lane fused multiply-adds per cycle: $2 \\times 8 \\times 2 = 32$
      FLOP per cycle. At \(formatted(clock.megahertz, .fixed(0))) MHz (\(clock.source)) that is a peak of
      \(peakText) GFLOP/s per core and \(formatted(2 * peakPerCore, .fixed(1))) on two. Square
      products $C = A B$ of size $n$ cost $2 n^3$ FLOP; below, `naiveGemm` (three loops, the
      definition) against the library's `gemm` on one and on two threads.
      """)
    let sizes = quick ? [64, 128, 256] : [64, 128, 256, 512, 1024]
    let naiveLimit = quick ? 128 : 256  // naive loops get slow beyond this; their curve is flat anyway
    var gemmGenerator = page.generator(stream: 90)
    var naiveRates: [Double] = [], oneThreadRates: [Double] = [], twoThreadRates: [Double] = []
    var gemmRowsMeasured: [[String]] = []
    var worstGemmError: Float = 0
    for n in sizes {
      let a = Tensor(randomNormal: [n, n], using: &gemmGenerator).scalars
      let b = Tensor(randomNormal: [n, n], using: &gemmGenerator).scalars
      var c = [Float](repeating: 0, count: n * n)
      let flops = 2 * Double(n) * Double(n) * Double(n)
      let gemmTimer = Benchmark(repetitions: quick ? 2 : (n >= 512 ? 5 : 9), warmups: 1)
      func blocked(threads: Int) -> Double {
        gemmTimer.measure {
          gemm(transposeA: false, transposeB: false, m: n, n: n, k: n, a: a, b: b, c: &c, accumulate: false,
               maxThreads: threads)
        }.best
      }
      let one = blocked(threads: 1), two = blocked(threads: 2)
      oneThreadRates.append(flops / one / 1e9)
      twoThreadRates.append(flops / two / 1e9)
      var naiveText = "—"
      if n <= naiveLimit {
        var reference = [Float](repeating: 0, count: n * n)
        let naive = Benchmark(repetitions: 1, warmups: 0).measure {
          naiveGemm(transposeA: false, transposeB: false, m: n, n: n, k: n, a: a, b: b, c: &reference, accumulate: false)
        }.best
        naiveRates.append(flops / naive / 1e9)
        naiveText = formatted(flops / naive / 1e9, .fixed(2))
        // The fast product must equal the definition (relative to the largest entry; sums of n terms).
        let difference = zip(c, reference).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        worstGemmError = max(worstGemmError, difference / reference.reduce(0) { max($0, abs($1)) })
      }
      gemmRowsMeasured.append([
        "\(n)", naiveText, formatted(flops / one / 1e9, .fixed(1)), formatted(flops / two / 1e9, .fixed(1)),
        formatted(flops / two / 1e9 / (2 * peakPerCore), .percent(0)),
      ])
    }
    page.table(headers: ["n", "naive GFLOP/s", "gemm, 1 thread", "gemm, 2 threads", "2 threads / 2-core peak"],
               rows: gemmRowsMeasured)
    let bestOne = oneThreadRates.max()!, bestTwo = twoThreadRates.max()!
    page.number("best GEMM GFLOP/s on 1 thread", bestOne, format: .fixed(1), key: "gemm_gflops_1_thread")
    page.number("best GEMM GFLOP/s on 2 threads", bestTwo, format: .fixed(1), key: "gemm_gflops_2_threads")
    page.number("fraction of the 1-core peak", bestOne / peakPerCore, format: .percent(0), key: "gemm_fraction_of_peak_1_thread")
    page.number("fraction of the 2-core peak", bestTwo / (2 * peakPerCore), format: .percent(0), key: "gemm_fraction_of_peak_2_threads")
    page.number("blocked over naive at n = \(naiveLimit)", oneThreadRates[sizes.firstIndex(of: naiveLimit)!] / naiveRates.last!,
                    format: .fixed(0), key: "gemm_over_naive")
    page.prose("""
      The library's GEMM reaches \(formatted(bestOne, .fixed(1))) GFLOP/s on one thread
      (\(formatted(bestOne / peakPerCore, .percent(0))) of one core's peak) and
      \(formatted(bestTwo, .fixed(1))) on two (\(formatted(bestTwo / (2 * peakPerCore), .percent(0))) of
      both cores' peak); the naive loops manage \(formatted(naiveRates.max()!, .fixed(2))). Products below
      about $256^3$ multiply-adds stay on one thread on purpose (`Matmul+Blocked.swift`): waking a second
      thread costs more than it saves. For n < 256 both columns therefore run the very same
      single-threaded code, and whatever difference the table shows there is the measurement noise
      of this shared machine: a yardstick for reading the other numbers.
      """)
    if bestOne > peakPerCore {
      // More than the computed peak: the core ran faster than the clock /proc/cpuinfo reports.
      page.prose("""
        One thread measured *above* the computed peak: the core ran faster than the
        \(formatted(clock.megahertz, .fixed(0))) MHz that /proc/cpuinfo reports (a virtual machine
        usually reports the nominal clock, while the chip boosts). At 32 FLOP per cycle,
        \(formatted(bestOne, .fixed(1))) GFLOP/s needs at least
        \(formatted(bestOne / flopsPerCycle, .fixed(2))) GHz, so the true peak is at least that much higher.
        """)
    }
    if bestTwo < 1.5 * bestOne {
      page.prose("""
        Two threads reached only \(formatted(bestTwo / bestOne, .fixed(2)))x the one-thread speed. On
        an idle machine the second core nearly doubles large products; this run shared its two cores
        with other jobs, and a thread that waits for a busy core holds back the whole product.
        """)
    }
    let xs = sizes.map(Double.init)
    try page.figure("gemm-gflops.png", lineChart([
      Series("gemm, 2 threads", x: xs, y: twoThreadRates, color: Color.palette[0], markers: true),
      Series("gemm, 1 thread", x: xs, y: oneThreadRates, color: Color.palette[1], markers: true),
      Series("naive loops", x: Array(xs.prefix(naiveRates.count)), y: naiveRates, color: Color.palette[3], markers: true),
      Series("peak, 2 cores", x: [xs.first!, xs.last!], y: [2 * peakPerCore, 2 * peakPerCore], color: Color.palette[0], dashed: true),
      Series("peak, 1 core", x: [xs.first!, xs.last!], y: [peakPerCore, peakPerCore], color: Color.palette[1], dashed: true),
    ], title: "square GEMM (n x n) * (n x n), measured", xLabel: "n (log scale)", yLabel: "GFLOP/s (log scale)",
       logX: true, logY: true),
    caption: """
      Speed of an n x n matrix product against n. Solid lines are measured; dashed lines are the \
      peaks computed from the clock (\(formatted(clock.megahertz, .fixed(0))) MHz x 32 FLOP/cycle). \
      Look at the gap of two orders of magnitude between the naive loops at the bottom and the \
      blocked SIMD GEMM; left of n = 256 both GEMM curves run the same one-thread code, so their \
      gap there is noise.
      """)

    // Step 5: the memory im2col pays for its speed.
    page.step("Memory: the column matrix against the input")
    var memoryRows: [[String]] = []
    var ratios: [Double] = []
    var largestWorkspace = 0
    for layer in speedLayers {
      let out = try layer.outputSize()
      let inputBytes = 4 * layer.c * layer.size * layer.size
      let columnBytes = 4 * layer.c * layer.k * layer.k * out * out
      // im2colForward allocates one column matrix per thread; two threads when the batch has ≥ 2 images.
      let threads = layer.batch >= 2 ? 2 : 1
      ratios.append(Double(columnBytes) / Double(inputBytes))
      largestWorkspace = max(largestWorkspace, threads * columnBytes)
      memoryRows.append([
        layer.name, Self.bytes(inputBytes), Self.bytes(columnBytes), formatted(Double(columnBytes) / Double(inputBytes), .fixed(1)) + "x",
        "\(layer.k * layer.k)", Self.bytes(threads * columnBytes), Self.bytes(4 * layer.batch * layer.c * layer.size * layer.size),
      ])
    }
    page.table(headers: ["layer", "input per image", "column matrix per image", "ratio", "K²",
                         "im2col workspace (2 threads)", "whole input batch"], rows: memoryRows)
    page.number("column matrix / input, largest", ratios.max()!, format: .fixed(1), key: "im2col_memory_ratio_max")
    page.prose("""
      The column matrix is about $K^2$ times the image (less where padding or the border trims
      positions): \(formatted(ratios.min()!, .fixed(1)))x to \(formatted(ratios.max()!, .fixed(1)))x here.
      The library builds it one image at a time per thread, so the workspace is at most
      \(Self.bytes(largestWorkspace)) here, small enough to stay in the caches while the GEMM reads
      it, instead of growing with the batch (compare the last column).
      """)

    // Checks: the fast path equals the reference on random shapes.
    page.step("im2col equals the direct convolution on random shapes")
    var checkGenerator = page.generator(stream: 91)
    var worstForward: Float = 0, worstBackward: Float = 0
    var shapeRows: [[String]] = []
    for _ in 0..<(quick ? 4 : 8) {
      let k = Int.random(in: 1...5, using: &checkGenerator)
      let stride = Int.random(in: 1...3, using: &checkGenerator)
      let padding = Int.random(in: 0...(k - 1), using: &checkGenerator)
      let (n, c, o) = (Int.random(in: 1...3, using: &checkGenerator), Int.random(in: 1...4, using: &checkGenerator),
                       Int.random(in: 1...5, using: &checkGenerator))
      let (h, w) = (Int.random(in: k...12, using: &checkGenerator), Int.random(in: k...12, using: &checkGenerator))
      let input = Tensor(randomNormal: [n, c, h, w], using: &checkGenerator)
      let weight = Tensor(randomNormal: [o, c, k, k], using: &checkGenerator)
      let bias = Tensor(randomNormal: [o], using: &checkGenerator)
      let reference = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
      let fast = try Conv2D.im2colForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
      let gradOutput = Tensor(randomNormal: reference.shape, using: &checkGenerator)
      let slow = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding)
      let quickGradients = try Conv2D.im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding)
      let forwardError = relativeDifference(fast, reference)
      let backwardError = max(relativeDifference(quickGradients.gradInput, slow.gradInput),
                              relativeDifference(quickGradients.gradWeight, slow.gradWeight),
                              relativeDifference(quickGradients.gradBias, slow.gradBias))
      worstForward = max(worstForward, forwardError)
      worstBackward = max(worstBackward, backwardError)
      shapeRows.append(["\(input.shape)", "\(weight.shape)", "\(stride)", "\(padding)",
                        formatted(forwardError, .scientific(1)), formatted(backwardError, .scientific(1))])
    }
    page.table(headers: ["input", "weight", "stride", "padding", "forward error", "backward error (worst of dX, dW, db)"],
               rows: shapeRows)
    page.number("worst relative error, forward", worstForward, format: .scientific(2), key: "im2col_forward_error")
    page.number("worst relative error, backward", worstBackward, format: .scientific(2), key: "im2col_backward_error")
    page.prose("""
      Random batch, channel, kernel, stride, padding and image sizes (odd sizes and strides that do
      not divide evenly included). Errors are
      $\\max |\\text{fast} - \\text{direct}| / \\max |\\text{direct}|$. Both sides add the same products in a different order; with at most a few
      hundred terms per sum, Float rounding ($2^{-24} \\approx 6 \\cdot 10^{-8}$ per operation)
      stays near $10^{-6}$, so the tolerance $10^{-5}$ leaves room without hiding a wrong index,
      which would give errors of order 1.
      """)

    page.check("im2col's columns are exactly the image's patches", columnsMatchPatches)
    page.check("im2col forward = direct forward on random shapes (relative)", worstForward, atMost: 1e-5)
    page.check("im2col backward = direct backward (dX, dW, db) on random shapes (relative)", worstBackward, atMost: 1e-5)
    page.check("blocked SIMD gemm = naiveGemm (relative, sums of up to \(naiveLimit) terms)", worstGemmError, atMost: 1e-5)
    page.check("im2col + GEMM beats the direct loops on the 32-channel 3x3 layer (forward)", forwardSpeedups.last!, atLeast: 2)

    page.tryThis("""
      In `Lessons/09-FastConvolution.swift`, step 1, set `k = 2`. The column matrix becomes 4x12 \
      (twelve 2x2 patches, each a column of 4), and the col2im panel shows every interior pixel \
      copied exactly K² = 4 times: the memory blow-up of im2col is the kernel's area.
      """)
    page.tryThis("""
      In step 4, call `gemm` with `maxThreads: 1` in both branches of `blocked(threads:)`. The two \
      curves of the GEMM figure coincide: all the 2-thread gain above n = 256 came from the \
      second core, and the fraction of the two-core peak halves.
      """)
  }

  /// A convolution layer's shape for the measurements: square input, stride 1.
  struct LayerShape {
    let name: String, key: String
    let batch: Int, c: Int, o: Int, k: Int, p: Int, size: Int

    func outputSize() throws -> Int { try Conv2D.outputSize(input: size, kernelSize: k, stride: 1, padding: p) }
    func flopsPerImage() throws -> Double {
      let out = try outputSize()
      return 2 * Double(o) * Double(c * k * k) * Double(out * out)
    }
    func withBatch(_ batch: Int) -> LayerShape { LayerShape(name: name, key: key, batch: batch, c: c, o: o, k: k, p: p, size: size) }
  }

  /// The clock in MHz from /proc/cpuinfo ("cpu MHz" of the first core), or an assumed 2,450 MHz.
  static func cpuClock() -> (megahertz: Double, source: String) {
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
      for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
        if let value = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), value > 0 {
          return (value, "read from /proc/cpuinfo, \"cpu MHz\"; boost clocks may run higher")
        }
      }
    }
    return (2450, "assumed: /proc/cpuinfo has no \"cpu MHz\" on this machine")
  }

  /// Bytes as KB or MB (powers of 1,024).
  static func bytes(_ count: Int) -> String {
    count >= 1 << 20 ? formatted(Double(count) / Double(1 << 20), .fixed(2)) + " MB"
      : formatted(Double(count) / 1024, .fixed(1)) + " KB"
  }
}
