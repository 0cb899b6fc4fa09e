// Winograd F(2x2,3x3): a 3x3, stride-1 convolution computed 2x2 outputs at a time with 16
// multiplications per tile instead of 36, by transforming 4x4 input tiles and 3x3 kernels.
// `Winograd` holds the readable transforms and the multiplication count; Conv2D.winogradForward is fast.

/// The Winograd F(2x2,3x3) minimal-filtering algorithm, as matrices.
///
/// For one 4x4 input tile d and one 3x3 kernel g, the 2x2 output tile of their correlation is
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// where ⊙ is the elementwise product of two 4x4 matrices: 16 multiplications, against 2·2·3·3 = 36
/// for the direct sum. G g Gᵀ depends only on the kernel (computed once per kernel) and Bᵀ d B, Aᵀ
/// only add and subtract. Over C channels the ⊙ becomes 16 matrix products (O, C) · (C, tiles).
///
/// - Paper: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015, https://arxiv.org/abs/1509.09308
public enum Winograd {
  /// G (4x3): transforms a 3x3 kernel g into the 4x4 U = G g Gᵀ.
  public static let kernelTransform: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
  /// Bᵀ (4x4): transforms a 4x4 input tile d into V = Bᵀ d B.
  public static let inputTransform: [[Float]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
  /// Aᵀ (2x4): transforms the 4x4 product M into the 2x2 output Y = Aᵀ M A.
  public static let outputTransform: [[Float]] = [[1, 1, 1, 0], [0, 1, -1, -1]]

  /// One output tile by the matrices above, counting the multiplications of the elementwise
  /// product (the kernel transform is precomputed once per kernel and Bᵀ, Aᵀ only add).
  /// - Parameters: input: a 4x4 tile; kernel: a 3x3 kernel.
  public static func tile(input d: [[Float]], kernel g: [[Float]]) -> (output: [[Float]], multiplications: Int) {
    let u = multiply(multiply(kernelTransform, g), transposed(kernelTransform))  // G g Gᵀ, 4x4
    let v = multiply(multiply(inputTransform, d), transposed(inputTransform))  // Bᵀ d B, 4x4
    var m = [[Float]](repeating: [Float](repeating: 0, count: 4), count: 4)
    var multiplications = 0
    for row in 0..<4 {
      for column in 0..<4 {
        m[row][column] = u[row][column] * v[row][column]
        multiplications += 1
      }
    }
    return (multiply(multiply(outputTransform, m), transposed(outputTransform)), multiplications)
  }

  /// The same tile by the direct sum Y[y][x] = Σ_i Σ_j d[y + i][x + j] · g[i][j], counting its multiplications.
  public static func directTile(input d: [[Float]], kernel g: [[Float]]) -> (output: [[Float]], multiplications: Int) {
    var y = [[Float]](repeating: [0, 0], count: 2)
    var multiplications = 0
    for row in 0..<2 {
      for column in 0..<2 {
        for i in 0..<3 {
          for j in 0..<3 {
            y[row][column] += d[row + i][column + j] * g[i][j]
            multiplications += 1
          }
        }
      }
    }
    return (y, multiplications)
  }

  /// Multiplications per 2x2 output tile per channel pair, counted by running `tile`: 16.
  public static var multiplicationsPerTile: Int { tile(input: zeroTile, kernel: zeroKernel).multiplications }
  /// Multiplications per 2x2 output tile per channel pair for the direct sum, counted by running `directTile`: 36.
  public static var directMultiplicationsPerTile: Int { directTile(input: zeroTile, kernel: zeroKernel).multiplications }

  private static let zeroTile = [[Float]](repeating: [0, 0, 0, 0], count: 4)
  private static let zeroKernel = [[Float]](repeating: [0, 0, 0], count: 3)

  /// The matrix product a · b of small matrices stored as rows (a: m x k, b: k x n).
  public static func multiply(_ a: [[Float]], _ b: [[Float]]) -> [[Float]] {
    a.map { row in (0..<b[0].count).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
  }
  /// The transpose of a small matrix stored as rows.
  public static func transposed(_ a: [[Float]]) -> [[Float]] {
    (0..<a[0].count).map { j in a.map { $0[j] } }
  }
}

extension Conv2D {
  /// Whether Winograd F(2x2,3x3) applies: a 3x3 kernel at stride 1 (any padding).
  public static func winogradApplies(kernelSize: Int, stride: Int) -> Bool { kernelSize == 3 && stride == 1 }

  /// Convolution by Winograd F(2x2,3x3), one image at a time, the batch split over two threads.
  ///
  ///     U[e] (O, C)     = (G g Gᵀ)[e] for every kernel g = weight[o, c]       (once per call)
  ///     V[e] (C, T)     = (Bᵀ d B)[e] for every 4x4 input tile d, stride 2     (T tiles per image)
  ///     M[e] (O, T)     = U[e] · V[e]                                          (16 GEMMs, e = 0..<16)
  ///     output tile     = Aᵀ M A + bias                                        (2x2 per tile)
  ///
  /// Shapes as `directForward`; requires a 3x3 kernel and stride 1, else throws. A layer passes its
  /// `workspace` so the transform buffers are reused across calls; without one they are temporary.
  public static func winogradForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    try winogradForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding, workspace: nil)
  }

  static func winogradForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, workspace: ConvolutionWorkspace?
  ) throws -> Tensor {
    let g = try ConvolutionGeometry(input: input.shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding)
    guard winogradApplies(kernelSize: g.k, stride: g.s) else {
      throw CNNError("Conv2D.winogradForward: Winograd F(2x2,3x3) needs a 3x3 kernel at stride 1, got \(g.k)x\(g.k) at stride \(g.s)")
    }
    if g.n == 0 { return Tensor(zeros: g.outputShape) }  // an empty batch: no pointers to take
    let tiling = WinogradTiling(g)
    let transformedKernels = transformKernels(weight, outChannels: g.o, inChannels: g.c)  // U, (16, O, C)
    let biasValues = bias?.scalars ?? [Float](repeating: 0, count: g.o)
    // The 2x2 output tiles cover every output pixel, each written once: no zero-filling needed.
    var output = Tensor(unfilled: g.outputShape)
    let batchThreads = forwardBatchThreads(g)
    let gemmThreads = batchThreads == 1 ? kernelThreadCount : 1
    let scratch = workspace ?? ConvolutionWorkspace()
    scratch.prepare(threadCount: batchThreads, counts: winogradForwardScratch(g))
    input.withUnsafeBufferPointer { inputBuffer in
      transformedKernels.withUnsafeBufferPointer { kernelBuffer in
        output.withUnsafeMutableBufferPointer { outputBuffer in
          let x = UncheckedSendable(inputBuffer.baseAddress!)
          let u = UncheckedSendable(kernelBuffer.baseAddress!)
          let out = UncheckedSendable(outputBuffer.baseAddress!)
          forEachStripe(of: g.n, threadCount: batchThreads) { images, thread in
            let padded = scratch.buffer(WinogradScratch.paddedImage, thread: thread)
            let v = scratch.buffer(WinogradScratch.transformedTiles, thread: thread)
            let m = scratch.buffer(WinogradScratch.products, thread: thread)
            // Zeroed once per call: the frame must be zero and the buffer may hold another shape's data.
            padded.update(repeating: 0, count: WinogradScratch.paddedImage.count(g, tiling))
            for n in images {
              copyIntoFrame(x.value + n * g.c * g.h * g.w, padded, geometry: g, tiling: tiling)
              transformInputTiles(padded, into: v, channels: g.c, tiling: tiling)
              multiplyTransformedTiles(u.value, v, into: m, geometry: g, tiling: tiling, maxThreads: gemmThreads)
              transformOutputTiles(
                m, into: out.value + n * g.o * g.outH * g.outW, bias: biasValues, geometry: g, tiling: tiling)
            }
          }
        }
      }
    }
    return output
  }

  /// The gradients for a 3x3, stride-1 convolution.
  ///
  ///     gradInput  = winogradForward(gradOutput, weight flipped and with O and C swapped, padding 2 − P)
  ///     gradWeight, gradBias: by `im2colBackward` (GEMM)
  ///
  /// gradInput is the full convolution of dY with the flipped kernel, itself a 3x3 stride-1
  /// convolution, so Winograd applies (when P ≤ 2). gradWeight is a correlation of the input
  /// with dY whose "kernel" is the whole H′ x W′ gradient map, not 3x3, so F(2x2,3x3) does not
  /// fit it: it reuses the im2col GEMM. Other shapes (P > 2, or not 3x3 stride 1) fall back to
  /// `im2colBackward` entirely.
  public static func winogradBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    try winogradBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding, workspace: nil)
  }

  static func winogradBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int, workspace: ConvolutionWorkspace?
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    let g = try ConvolutionGeometry(
      backward: gradOutput.shape, input: input.shape, weight: weight.shape, stride: stride, padding: padding,
      function: "Conv2D.winogradBackward")
    if g.n == 0 { return (Tensor(zeros: g.inputShape), Tensor(zeros: g.weightShape), Tensor(zeros: [g.o])) }  // empty batch
    guard winogradApplies(kernelSize: g.k, stride: g.s), g.p <= 2 else {
      return try im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding,
                            computesGradInput: true, workspace: workspace)
    }
    let parameterGradients = try im2colBackward(
      gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding, computesGradInput: false,
      workspace: workspace)
    let gradInput: Tensor
    do {
      gradInput = try winogradForward(
        input: gradOutput, weight: flippedTransposedKernel(weight), bias: nil, stride: 1, padding: 2 - g.p,
        workspace: workspace)
    } catch {
      preconditionFailure("Conv2D.winogradBackward: \(error)")
    }
    return (gradInput, parameterGradients.gradWeight, parameterGradients.gradBias)
  }

  /// weight (O, C, K, K) → (C, O, K, K) with each kernel rotated by 180°: the kernel of the
  /// convolution that maps gradOutput to gradInput.
  static func flippedTransposedKernel(_ weight: Tensor) -> Tensor {
    let (o, c, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
    var result = Tensor(zeros: [c, o, k, k])
    weight.withUnsafeBufferPointer { w in
      result.withUnsafeMutableBufferPointer { r in
        for oo in 0..<o {
          for cc in 0..<c {
            for i in 0..<k {
              for j in 0..<k {
                r[((cc * o + oo) * k + (k - 1 - i)) * k + (k - 1 - j)] = w[((oo * c + cc) * k + i) * k + j]
              }
            }
          }
        }
      }
    }
    return result
  }

  /// U = G g Gᵀ for every kernel, laid out (16, O, C) so that U[e] is the A operand of GEMM e.
  /// G rows: g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2, applied to the rows and then the columns.
  private static func transformKernels(_ weight: Tensor, outChannels: Int, inChannels: Int) -> [Float] {
    var u = [Float](repeating: 0, count: 16 * outChannels * inChannels)
    @inline(__always) func transform(_ a: Float, _ b: Float, _ c: Float) -> SIMD4<Float> {
      SIMD4(a, (a + b + c) * 0.5, (a - b + c) * 0.5, c)
    }
    weight.withUnsafeBufferPointer { w in
      for o in 0..<outChannels {
        for c in 0..<inChannels {
          let kernel = w.baseAddress! + (o * inChannels + c) * 9
          // Columns of G g: G applied to each column of g.
          let column0 = transform(kernel[0], kernel[3], kernel[6])
          let column1 = transform(kernel[1], kernel[4], kernel[7])
          let column2 = transform(kernel[2], kernel[5], kernel[8])
          for row in 0..<4 {
            let values = transform(column0[row], column1[row], column2[row])
            for column in 0..<4 {
              u[(row * 4 + column) * outChannels * inChannels + o * inChannels + c] = values[column]
            }
          }
        }
      }
    }
    return u
  }
}

// MARK: - The steps of winogradForward

/// The tile grid of one Winograd convolution: 2x2 output tiles, each computed from the 4x4 input
/// tile at the same place (tiles start every 2 pixels, so neighbouring input tiles overlap by 2).
struct WinogradTiling {
  /// Tiles down and across: ⌈H′/2⌉ x ⌈W′/2⌉ (a last, half-used tile covers an odd H′ or W′).
  let tilesY: Int, tilesX: Int
  /// T, the tiles per image.
  var count: Int { tilesY * tilesX }
  /// The tiles of a row done eight at a time, one per SIMD8 lane; the rest go one by one.
  var vectorTilesX: Int { tilesX / 8 * 8 }
  /// The zero-padded image that holds every 4x4 tile: P on the top and left, and enough on the
  /// bottom and right for the last tile.
  var paddedHeight: Int { 2 * tilesY + 2 }
  var paddedWidth: Int { 2 * tilesX + 2 }

  init(_ g: ConvolutionGeometry) {
    (tilesY, tilesX) = ((g.outH + 1) / 2, (g.outW + 1) / 2)
  }
}

/// The per-thread scratch buffers of `winogradForward` (slots of a `ConvolutionWorkspace`).
enum WinogradScratch: Int, CaseIterable {
  /// One image inside its zero frame, (C, paddedHeight, paddedWidth).
  case paddedImage
  /// V = Bᵀ d B of every tile, (16, C, T): plane e is the B operand of GEMM e.
  case transformedTiles
  /// M[e] = U[e] · V[e], (16, O, T).
  case products

  /// The Floats this buffer needs for one convolution.
  func count(_ g: ConvolutionGeometry, _ tiling: WinogradTiling) -> Int {
    switch self {
    case .paddedImage: g.c * tiling.paddedHeight * tiling.paddedWidth
    case .transformedTiles: 16 * g.c * tiling.count
    case .products: 16 * g.o * tiling.count
    }
  }
}

extension Conv2D {
  /// Copies one image (C, H, W) into the middle of its zero frame, at (P, P); the frame stays zero.
  /// Rows and columns beyond the frame (only possible when P is large) are not needed by any tile.
  private static func copyIntoFrame(
    _ image: UnsafePointer<Float>, _ padded: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
    tiling: WinogradTiling
  ) {
    let (paddedH, paddedW) = (tiling.paddedHeight, tiling.paddedWidth)
    let count = min(g.w, paddedW - g.p)
    for c in 0..<g.c {
      for h in 0..<g.h where h + g.p < paddedH && count > 0 {
        (padded + (c * paddedH + h + g.p) * paddedW + g.p).update(from: image + (c * g.h + h) * g.w, count: count)
      }
    }
  }

  /// The input transform of every tile of one image:
  ///
  ///     V[e][c, t] = (Bᵀ d B)[e]   for the 4x4 tile d of channel c at tile t, e = 4·row + column
  ///
  /// Bᵀ rows combine the tile's rows as d0 − d2, d1 + d2, d2 − d1, d1 − d3; the same combination
  /// of columns then applies B. Only additions. V is (16, C, T).
  private static func transformInputTiles(
    _ padded: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>, channels: Int, tiling: WinogradTiling
  ) {
    let (tiles, tilesX, paddedH, paddedW) = (tiling.count, tiling.tilesX, tiling.paddedHeight, tiling.paddedWidth)
    let planeStride = channels * tiles  // between the planes V[e]
    for c in 0..<channels {
      for ty in 0..<tiling.tilesY {
        // Eight tiles side by side at once, one tile per SIMD lane.
        for tx in Swift.stride(from: 0, to: tiling.vectorTilesX, by: 8) {
          let d = padded + (c * paddedH + 2 * ty) * paddedW + 2 * tx
          let d0 = tileColumns(d), d1 = tileColumns(d + paddedW)
          let d2 = tileColumns(d + 2 * paddedW), d3 = tileColumns(d + 3 * paddedW)
          let base = v + c * tiles + ty * tilesX + tx
          storeInputTransform(d0 - d2, to: base, row: 0, planeStride: planeStride)
          storeInputTransform(d1 + d2, to: base, row: 1, planeStride: planeStride)
          storeInputTransform(d2 - d1, to: base, row: 2, planeStride: planeStride)
          storeInputTransform(d1 - d3, to: base, row: 3, planeStride: planeStride)
        }
        // The remaining tiles one at a time: t = Bᵀ d row by row, then t B.
        for tx in tiling.vectorTilesX..<tilesX {
          let d = padded + (c * paddedH + 2 * ty) * paddedW + 2 * tx
          let r0 = row4(d), r1 = row4(d + paddedW), r2 = row4(d + 2 * paddedW), r3 = row4(d + 3 * paddedW)
          let base = v + c * tiles + ty * tilesX + tx
          @inline(__always) func store(_ t: SIMD4<Float>, row: Int) {
            let column0 = base + (row * 4) * planeStride
            column0[0] = t[0] - t[2]
            column0[planeStride] = t[1] + t[2]
            column0[2 * planeStride] = t[2] - t[1]
            column0[3 * planeStride] = t[1] - t[3]
          }
          store(r0 - r2, row: 0)
          store(r1 + r2, row: 1)
          store(r2 - r1, row: 2)
          store(r1 - r3, row: 3)
        }
      }
    }
  }

  /// The 16 products, summed over channels as matrix products:
  ///
  ///     M[e] (O, T) = U[e] (O, C) · V[e] (C, T)   for e = 0..<16
  ///
  /// This is where all the multiplications are: 16 per tile per (o, c) pair, against 36 directly.
  private static func multiplyTransformedTiles(
    _ u: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, into m: UnsafeMutablePointer<Float>,
    geometry g: ConvolutionGeometry, tiling: WinogradTiling, maxThreads: Int
  ) {
    let tiles = tiling.count
    for e in 0..<16 {
      gemm(
        transposeA: false, transposeB: false, m: g.o, n: tiles, k: g.c,
        a: u + e * g.o * g.c, b: v + e * g.c * tiles, c: m + e * g.o * tiles,
        accumulate: false, maxThreads: maxThreads)
    }
  }

  /// The output transform of every tile of one image, written into its output (O, H′, W′):
  ///
  ///     Y = Aᵀ M A + bias[o]   (2x2) for the 4x4 M[·][o, t] of output channel o at tile t
  ///
  /// Aᵀ rows combine M's rows as m0 + m1 + m2 and m1 − m2 − m3; the same of columns applies A.
  /// Only the part of a tile inside H′ x W′ is written (the last tile may be half used).
  private static func transformOutputTiles(
    _ m: UnsafeMutablePointer<Float>, into outputImage: UnsafeMutablePointer<Float>, bias biasValues: [Float],
    geometry g: ConvolutionGeometry, tiling: WinogradTiling
  ) {
    let (tiles, tilesX) = (tiling.count, tiling.tilesX)
    let planeStride = g.o * tiles  // between the planes M[e]
    for o in 0..<g.o {
      let plane = outputImage + o * g.outH * g.outW
      let bias = SIMD8<Float>(repeating: biasValues[o])
      for ty in 0..<tiling.tilesY {
        let y = 2 * ty
        // Eight tiles at once, one per SIMD lane: row r of M for the eight tiles is four vectors.
        for tx in Swift.stride(from: 0, to: tiling.vectorTilesX, by: 8) {
          let base = UnsafeRawPointer(m + o * tiles + ty * tilesX + tx)
          let bytes = planeStride * 4
          @inline(__always) func row(_ r: Int) -> FourVectors {
            FourVectors(
              base.loadUnaligned(fromByteOffset: (4 * r) * bytes, as: SIMD8<Float>.self),
              base.loadUnaligned(fromByteOffset: (4 * r + 1) * bytes, as: SIMD8<Float>.self),
              base.loadUnaligned(fromByteOffset: (4 * r + 2) * bytes, as: SIMD8<Float>.self),
              base.loadUnaligned(fromByteOffset: (4 * r + 3) * bytes, as: SIMD8<Float>.self))
          }
          let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
          let s0 = m0 + m1 + m2, s1 = m1 - m2 - m3  // Aᵀ M
          storeOutputRow(s0.c0 + s0.c1 + s0.c2 + bias, s0.c1 - s0.c2 - s0.c3 + bias,
                         to: plane + y * g.outW, from: 2 * tx, width: g.outW)
          if y + 1 < g.outH {
            storeOutputRow(s1.c0 + s1.c1 + s1.c2 + bias, s1.c1 - s1.c2 - s1.c3 + bias,
                           to: plane + (y + 1) * g.outW, from: 2 * tx, width: g.outW)
          }
        }
        // The remaining tiles one at a time.
        for tx in tiling.vectorTilesX..<tilesX {
          let base = m + o * tiles + ty * tilesX + tx
          @inline(__always) func row(_ r: Int) -> SIMD4<Float> {
            SIMD4(base[(4 * r) * planeStride], base[(4 * r + 1) * planeStride],
                  base[(4 * r + 2) * planeStride], base[(4 * r + 3) * planeStride])
          }
          let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
          let s0 = m0 + m1 + m2, s1 = m1 - m2 - m3  // Aᵀ M
          let (x, b) = (2 * tx, biasValues[o])
          plane[y * g.outW + x] = s0[0] + s0[1] + s0[2] + b
          if x + 1 < g.outW { plane[y * g.outW + x + 1] = s0[1] - s0[2] - s0[3] + b }
          if y + 1 < g.outH {
            plane[(y + 1) * g.outW + x] = s1[0] + s1[1] + s1[2] + b
            if x + 1 < g.outW { plane[(y + 1) * g.outW + x + 1] = s1[1] - s1[2] - s1[3] + b }
          }
        }
      }
    }
  }
}

/// Four SIMD8 vectors: one row of a 4x4 tile for eight tiles at once (lane = tile).
private struct FourVectors {
  var c0, c1, c2, c3: SIMD8<Float>
  init(_ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>, _ c3: SIMD8<Float>) {
    (self.c0, self.c1, self.c2, self.c3) = (c0, c1, c2, c3)
  }
  static func + (a: FourVectors, b: FourVectors) -> FourVectors { FourVectors(a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2, a.c3 + b.c3) }
  static func - (a: FourVectors, b: FourVectors) -> FourVectors { FourVectors(a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2, a.c3 - b.c3) }
}

/// Columns 0-3 of one row of eight adjacent 4x4 tiles (tiles start every 2 pixels): the even and
/// odd lanes of 16 floats give columns 0 and 1, the same 2 floats further on give columns 2 and 3.
@inline(__always) private func tileColumns(_ row: UnsafeMutablePointer<Float>) -> FourVectors {
  let a = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
  let b = UnsafeRawPointer(row + 2).loadUnaligned(as: SIMD16<Float>.self)
  return FourVectors(a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
}

/// Stores row `row` of V = (Bᵀ d) B for eight tiles, given t = row `row` of Bᵀ d: the columns of
/// t B are t0 − t2, t1 + t2, t2 − t1, t1 − t3, going to the planes V[4·row + column].
@inline(__always) private func storeInputTransform(
  _ t: FourVectors, to base: UnsafeMutablePointer<Float>, row: Int, planeStride: Int
) {
  let raw = UnsafeMutableRawPointer(base)
  let bytes = planeStride * 4
  raw.storeBytes(of: t.c0 - t.c2, toByteOffset: (4 * row) * bytes, as: SIMD8<Float>.self)
  raw.storeBytes(of: t.c1 + t.c2, toByteOffset: (4 * row + 1) * bytes, as: SIMD8<Float>.self)
  raw.storeBytes(of: t.c2 - t.c1, toByteOffset: (4 * row + 2) * bytes, as: SIMD8<Float>.self)
  raw.storeBytes(of: t.c1 - t.c3, toByteOffset: (4 * row + 3) * bytes, as: SIMD8<Float>.self)
}

/// Writes one output row of eight 2x2 tiles: left and right pixels interleaved, clipped to `width`.
@inline(__always) private func storeOutputRow(
  _ left: SIMD8<Float>, _ right: SIMD8<Float>, to row: UnsafeMutablePointer<Float>, from x: Int, width: Int
) {
  var pixels = SIMD16<Float>()
  pixels.evenHalf = left
  pixels.oddHalf = right
  if x + 16 <= width {
    UnsafeMutableRawPointer(row + x).storeBytes(of: pixels, as: SIMD16<Float>.self)
  } else {
    for lane in 0..<(width - x) { row[x + lane] = pixels[lane] }
  }
}

/// Four consecutive floats.
@inline(__always) private func row4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
  SIMD4(p[0], p[1], p[2], p[3])
}
@inline(__always) private func row4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> { row4(UnsafePointer(p)) }
