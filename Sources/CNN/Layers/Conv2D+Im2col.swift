// Convolution as matrix multiplication: unroll every K x K patch of an image into a column
// (im2col), then one GEMM per image computes all output channels at all positions at once.
// The backward pass is two more GEMMs per image plus col2im, the adjoint of im2col.

// MARK: - im2col and col2im

/// Unrolls one image's patches into the columns of a matrix.
///
///     columns[(c·K + i)·K + j, y·W′ + x] = image[c, y·S + i − P, x·S + j − P]   (0 in the padding)
///
/// Shapes: image (C, H, W) → columns (C·K·K, H′·W′). Column y·W′ + x holds the patch that output
/// pixel (y, x) sees, so weight (O, C·K·K) · columns = output (O, H′·W′).
/// Throws a `CNNError` when the image is not (C, H, W) or the kernel does not fit.
public func im2col(_ image: Tensor, kernelSize: Int, stride: Int, padding: Int) throws -> Tensor {
  guard image.rank == 3 else { throw CNNError("im2col: expected one image of shape (C, H, W), got \(image.shape)") }
  guard kernelSize >= 1 else { throw CNNError("im2col: kernelSize must be at least 1, got \(kernelSize)") }
  let g = try ConvolutionGeometry(
    input: [1] + image.shape, weight: [1, image.shape[0], kernelSize, kernelSize], bias: nil,
    stride: stride, padding: padding)
  var columns = Tensor(zeros: [g.c * g.k * g.k, g.outH * g.outW])
  image.withUnsafeBufferPointer { image in
    columns.withUnsafeMutableBufferPointer { columns in
      im2col(image: image.baseAddress!, columns: columns.baseAddress!, geometry: g)
    }
  }
  return columns
}

/// The adjoint of `im2col`: adds every column entry back onto the image pixel it was copied from
/// (pixels covered by several patches receive the sum).
///
/// Shapes: columns (C·K·K, H′·W′) → image (C, H, W).
public func col2im(
  _ columns: Tensor, channels: Int, height: Int, width: Int, kernelSize: Int, stride: Int, padding: Int
) throws -> Tensor {
  guard kernelSize >= 1, channels >= 0, height >= 0, width >= 0 else {
    throw CNNError("col2im: kernel size \(kernelSize) must be at least 1 and the image sizes \(channels)x\(height)x\(width) not negative")
  }
  let g = try ConvolutionGeometry(
    input: [1, channels, height, width], weight: [1, channels, kernelSize, kernelSize], bias: nil,
    stride: stride, padding: padding)
  guard columns.shape == [g.c * g.k * g.k, g.outH * g.outW] else {
    throw CNNError("col2im: columns of shape \(columns.shape) do not match [\(g.c * g.k * g.k), \(g.outH * g.outW)]")
  }
  var image = Tensor(zeros: [channels, height, width])
  columns.withUnsafeBufferPointer { columns in
    image.withUnsafeMutableBufferPointer { image in
      col2im(columns: columns.baseAddress!, image: image.baseAddress!, geometry: g)
    }
  }
  return image
}

/// The range of output columns x whose tap j lands inside the image: 0 ≤ x·S + j − P < W.
@inline(__always)
private func validColumns(tap j: Int, geometry g: ConvolutionGeometry) -> Range<Int> {
  // Clamped to W′: on an image smaller than the padded kernel (1x1, K 5, P 2) no column may be
  // valid, and the first valid x would otherwise lie beyond the row.
  let first = min(g.outW, max(0, (g.p - j + g.s - 1) / g.s))
  let lastInput = g.w - 1 + g.p - j  // largest x·S allowed
  let end = lastInput < 0 ? 0 : min(g.outW, lastInput / g.s + 1)
  return first..<max(first, end)
}

/// `im2col` on pointers: image (C, H, W) → columns (C·K·K, H′·W′), every entry written.
func im2col(image: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry) {
  let spatial = g.outH * g.outW
  for c in 0..<g.c {
    for i in 0..<g.k {
      for j in 0..<g.k {
        let destination = columns + ((c * g.k + i) * g.k + j) * spatial
        let xs = validColumns(tap: j, geometry: g)
        for y in 0..<g.outH {
          let row = destination + y * g.outW
          let h = y * g.s + i - g.p
          if h < 0 || h >= g.h {
            row.update(repeating: 0, count: g.outW)
            continue
          }
          let source = image + (c * g.h + h) * g.w + j - g.p
          for x in 0..<xs.lowerBound { row[x] = 0 }
          if g.s == 1 {
            (row + xs.lowerBound).update(from: source + xs.lowerBound, count: xs.count)
          } else {
            for x in xs { row[x] = source[x * g.s] }
          }
          for x in xs.upperBound..<g.outW { row[x] = 0 }
        }
      }
    }
  }
}

/// `col2im` on pointers: image (C, H, W) is overwritten with the sum of the column entries.
func col2im(columns: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry) {
  let spatial = g.outH * g.outW
  image.update(repeating: 0, count: g.c * g.h * g.w)
  for c in 0..<g.c {
    for i in 0..<g.k {
      for j in 0..<g.k {
        let source = columns + ((c * g.k + i) * g.k + j) * spatial
        let xs = validColumns(tap: j, geometry: g)
        for y in 0..<g.outH {
          let h = y * g.s + i - g.p
          if h < 0 || h >= g.h { continue }
          let row = source + y * g.outW
          let destination = image + (c * g.h + h) * g.w + j - g.p
          for x in xs { destination[x * g.s] += row[x] }
        }
      }
    }
  }
}

// MARK: - Forward and backward

/// The per-thread scratch buffers of im2col convolution (slots of a `ConvolutionWorkspace`).
enum Im2colScratch: Int, CaseIterable {
  /// im2col of one image, (C·K·K, H′·W′); unused when the image is its own column matrix.
  case columns
  /// weightᵀ · dY[n] before col2im, (C·K·K, H′·W′); backward only.
  case gradColumns
  /// This thread's gradWeight (O·C·K·K) followed by its gradBias (O), zeroed per call; backward only.
  case partialSums
}

extension Conv2D {
  /// Whether the image itself already is its column matrix (1x1 kernel, stride 1, no padding).
  private static func columnsAreImage(_ g: ConvolutionGeometry) -> Bool { g.k == 1 && g.s == 1 && g.p == 0 }

  /// The forward pass's per-thread buffer: one image's column matrix (C·K·K, H′·W′), or nothing
  /// when the columns are the image itself.
  static func im2colForwardScratch(_ g: ConvolutionGeometry) -> [Int] {
    [columnsAreImage(g) ? 0 : g.c * g.k * g.k * g.outH * g.outW]
  }

  /// Convolution by im2col + GEMM, one image at a time, the batch split over two threads.
  ///
  ///     output[n] (O, H′·W′) = weight (O, C·K·K) · im2col(input[n]) (C·K·K, H′·W′) + bias
  ///
  /// Per image rather than over the whole batch: the column matrix of one image stays in cache
  /// (swift-numerics.md rule 7). Same shapes and results as `directForward`. A layer passes its
  /// `workspace` so the column buffers are reused across calls; without one they are temporary.
  public static func im2colForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    try im2colForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding, workspace: nil)
  }

  static func im2colForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, workspace: ConvolutionWorkspace?
  ) throws -> Tensor {
    let g = try ConvolutionGeometry(input: input.shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding)
    if g.n == 0 { return Tensor(zeros: g.outputShape) }  // an empty batch: no pointers to take
    // Every output plane is first set to its bias below, so no zero-filling here.
    var output = Tensor(unfilled: g.outputShape)
    let rows = g.c * g.k * g.k, spatial = g.outH * g.outW
    // Two threads over the batch; a single image instead gives both threads to its GEMM.
    let batchThreads = forwardBatchThreads(g)
    let gemmThreads = batchThreads == 1 ? kernelThreadCount : 1
    let biasValues = bias?.scalars
    let scratch = workspace ?? ConvolutionWorkspace()
    scratch.prepare(threadCount: batchThreads, counts: im2colForwardScratch(g))
    input.withUnsafeBufferPointer { inputBuffer in
      weight.withUnsafeBufferPointer { weightBuffer in
        output.withUnsafeMutableBufferPointer { outputBuffer in
          let x = UncheckedSendable(inputBuffer.baseAddress!)
          let w = UncheckedSendable(weightBuffer.baseAddress!)
          let out = UncheckedSendable(outputBuffer.baseAddress!)
          forEachStripe(of: g.n, threadCount: batchThreads) { images, thread in
            let workspace = columnsAreImage(g) ? nil : scratch.buffer(Im2colScratch.columns, thread: thread)
            for n in images {
              let image = x.value + n * g.c * g.h * g.w
              if let workspace { im2col(image: image, columns: workspace, geometry: g) }
              let outputImage = out.value + n * g.o * spatial
              // Start each output plane at its bias and let the GEMM accumulate onto it: one pass
              // over the output instead of three (GEMM's zeroing, the product, a bias pass).
              for o in 0..<g.o {
                (outputImage + o * spatial).update(repeating: biasValues?[o] ?? 0, count: spatial)
              }
              gemm(
                transposeA: false, transposeB: false, m: g.o, n: spatial, k: rows,
                a: w.value, b: workspace.map { UnsafePointer($0) } ?? image, c: outputImage,
                accumulate: true, maxThreads: gemmThreads)
            }
          }
        }
      }
    }
    return output
  }

  /// The gradients by GEMM, one image at a time, the batch split over two threads.
  ///
  ///     gradWeight (O, C·K·K)  += dY[n] (O, H′·W′) · im2col(input[n])ᵀ (H′·W′, C·K·K)
  ///     gradColumns (C·K·K, H′·W′) = weightᵀ (C·K·K, O) · dY[n] (O, H′·W′)
  ///     gradInput[n] = col2im(gradColumns)
  ///     gradBias[o] += Σ_{y,x} dY[n, o, y, x]
  ///
  /// Each thread accumulates gradWeight and gradBias into its own buffer; the buffers are summed at
  /// the end, so no two threads write the same memory. Same results as `directBackward`.
  public static func im2colBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    try im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding,
                   computesGradInput: true, workspace: nil)
  }

  /// `im2colBackward`, optionally skipping gradInput (returned as zeros) when another algorithm
  /// computes it. A layer passes its `workspace` so the scratch buffers are reused across calls.
  static func im2colBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int, computesGradInput: Bool,
    workspace: ConvolutionWorkspace?
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    let g = try ConvolutionGeometry(
      backward: gradOutput.shape, input: input.shape, weight: weight.shape, stride: stride, padding: padding,
      function: "Conv2D.im2colBackward")
    if g.n == 0 { return (Tensor(zeros: g.inputShape), Tensor(zeros: g.weightShape), Tensor(zeros: [g.o])) }  // empty batch
    // col2im overwrites every image of gradInput; only a skipped gradInput must read as zeros.
    var gradInput = computesGradInput ? Tensor(unfilled: g.inputShape) : Tensor(zeros: g.inputShape)
    var gradWeight = Tensor(zeros: g.weightShape)
    var gradBias = Tensor(zeros: [g.o])
    let rows = g.c * g.k * g.k, spatial = g.outH * g.outW
    let batchThreads = min(g.n, g.n >= 2 ? kernelThreadCount : 1)
    let gemmThreads = batchThreads == 1 ? kernelThreadCount : 1
    // Per-thread partial sums of gradWeight (O·C·K·K) and gradBias (O).
    let partialSize = g.o * rows + g.o
    let scratch = workspace ?? ConvolutionWorkspace()
    scratch.prepare(threadCount: batchThreads) { (slot: Im2colScratch) in
      switch slot {
      case .columns, .gradColumns: rows * spatial
      case .partialSums: partialSize
      }
    }
    for thread in 0..<batchThreads {
      scratch.buffer(Im2colScratch.partialSums, thread: thread).update(repeating: 0, count: partialSize)
    }
    gradOutput.withUnsafeBufferPointer { gradOutputBuffer in
      input.withUnsafeBufferPointer { inputBuffer in
        weight.withUnsafeBufferPointer { weightBuffer in
          gradInput.withUnsafeMutableBufferPointer { gradInputBuffer in
            let dY = UncheckedSendable(gradOutputBuffer.baseAddress!)
            let x = UncheckedSendable(inputBuffer.baseAddress!)
            let w = UncheckedSendable(weightBuffer.baseAddress!)
            let dX = UncheckedSendable(gradInputBuffer.baseAddress!)
            forEachStripe(of: g.n, threadCount: batchThreads) { images, thread in
              let columns = scratch.buffer(Im2colScratch.columns, thread: thread)
              let gradColumns = scratch.buffer(Im2colScratch.gradColumns, thread: thread)
              let gradWeightPartial = scratch.buffer(Im2colScratch.partialSums, thread: thread)
              let gradBiasPartial = gradWeightPartial + g.o * rows
              for n in images {
                let image = x.value + n * g.c * g.h * g.w
                let gradOutputImage = UnsafePointer(dY.value + n * g.o * spatial)
                let patches: UnsafePointer<Float>
                if columnsAreImage(g) {
                  patches = image
                } else {
                  im2col(image: image, columns: columns, geometry: g)
                  patches = UnsafePointer(columns)
                }
                gemm(
                  transposeA: false, transposeB: true, m: g.o, n: rows, k: spatial,
                  a: gradOutputImage, b: patches, c: gradWeightPartial, accumulate: true, maxThreads: gemmThreads)
                if computesGradInput {
                  gemm(
                    transposeA: true, transposeB: false, m: rows, n: spatial, k: g.o,
                    a: w.value, b: gradOutputImage, c: gradColumns, accumulate: false, maxThreads: gemmThreads)
                  col2im(columns: gradColumns, image: dX.value + n * g.c * g.h * g.w, geometry: g)
                }
                accumulateBiasGradient(
                  dY.value, images: n..<(n + 1), channels: g.o, planeSize: spatial, into: gradBiasPartial)
              }
            }
          }
        }
      }
    }
    gradWeight.withUnsafeMutableBufferPointer { gradWeight in
      gradBias.withUnsafeMutableBufferPointer { gradBias in
        for thread in 0..<batchThreads {
          let partial = scratch.buffer(Im2colScratch.partialSums, thread: thread)
          for index in 0..<(g.o * rows) { gradWeight[index] += partial[index] }
          for o in 0..<g.o { gradBias[o] += partial[g.o * rows + o] }
        }
      }
    }
    return (gradInput, gradWeight, gradBias)
  }
}
