// Convolution by the convolution theorem: transform the zero-padded images and kernels with a 2-D
// FFT, multiply spectra, transform back. Work per output no longer grows with K², so it pays for
// large kernels; for 3x3 kernels the transforms cost more than they save (chapter 10's crossover).

extension Conv2D {
  /// The FFT grid for an (height, width) input with padding P: the smallest powers of two (at
  /// least 2) that hold the padded input, H + 2P by W + 2P.
  /// Every product below is a circular correlation or convolution on this grid; a grid as large
  /// as the padded input keeps every index we read free of wrap-around (see each formula).
  public static func fftGridSize(height: Int, width: Int, padding: Int) -> (height: Int, width: Int) {
    func powerOfTwo(atLeast value: Int) -> Int { var size = 2; while size < value { size *= 2 }; return size }
    return (powerOfTwo(atLeast: height + 2 * padding), powerOfTwo(atLeast: width + 2 * padding))
  }

  /// The forward pass's memory: the kernels' half spectra (O, C, 2, S), and per thread the
  /// input's spectra (C, 2, S), one accumulator (2, S) and one grid F x F′, where S = F · (F′/2 + 1)
  /// is the size of a half spectrum.
  static func fftForwardScratch(_ g: ConvolutionGeometry) -> (kernelSpectra: Int, perThread: [Int]) {
    let grid = fftGridSize(height: g.h, width: g.w, padding: g.p)
    let spectrum = grid.height * (grid.width / 2 + 1)
    return (g.o * g.c * 2 * spectrum, [g.c * 2 * spectrum, 2 * spectrum, grid.height * grid.width])
  }

  private static func fftPlan(_ g: ConvolutionGeometry) -> FFT2D {
    let grid = fftGridSize(height: g.h, width: g.w, padding: g.p)
    do {
      return try FFT2D(height: grid.height, width: grid.width)
    } catch { preconditionFailure("Conv2D FFT plan: \(error)") }
  }

  /// The half spectra of `count` grids, each filled by `fill(index, grid)` (grid zeroed first),
  /// stored as `count` blocks of [real parts, imaginary parts]; computed on two threads.
  private static func spectra(
    count: Int, plan: FFT2D, fill: @Sendable (Int, UnsafeMutablePointer<Float>) -> Void
  ) -> [Float] {
    let spectrum = plan.spectrumCount
    var result = [Float](repeating: 0, count: count * 2 * spectrum)
    result.withUnsafeMutableBufferPointer { buffer in
      let out = UncheckedSendable(buffer.baseAddress!)
      forEachStripe(of: count, threadCount: kernelThreadCount) { items, _ in
        let grid = UnsafeMutablePointer<Float>.allocate(capacity: plan.height * plan.width)
        defer { grid.deallocate() }
        for index in items {
          grid.update(repeating: 0, count: plan.height * plan.width)
          fill(index, grid)
          let block = out.value + index * 2 * spectrum
          plan.forward(UnsafePointer(grid), real: block, imaginary: block + spectrum)
        }
      }
    }
    return result
  }

  /// accumulator += a · b (or a · conj b), elementwise over `count` complex values stored as
  /// [real parts, imaginary parts]. Eight values at a time with fused multiply-adds: this loop is
  /// where FFT convolution spends most of its time once C and O are large.
  @inline(__always)
  private static func multiplyAccumulate(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, conjugatingB: Bool,
    into accumulator: UnsafeMutablePointer<Float>, count: Int
  ) {
    typealias Vector = SIMD8<Float>
    let ar = UnsafeRawPointer(a), ai = UnsafeRawPointer(a + count)
    let br = UnsafeRawPointer(b), bi = UnsafeRawPointer(b + count)
    let cr = UnsafeMutableRawPointer(accumulator), ci = UnsafeMutableRawPointer(accumulator + count)
    // (ar + i·ai)(br ± i·bi): real ar·br ∓ ai·bi, imaginary ai·br ± ar·bi.
    let sign: Float = conjugatingB ? -1 : 1
    let signs = Vector(repeating: sign)
    var index = 0
    while index + 8 <= count {
      let offset = index * 4
      let xr = ar.loadUnaligned(fromByteOffset: offset, as: Vector.self)
      let xi = ai.loadUnaligned(fromByteOffset: offset, as: Vector.self)
      let yr = br.loadUnaligned(fromByteOffset: offset, as: Vector.self)
      let yi = bi.loadUnaligned(fromByteOffset: offset, as: Vector.self) * signs
      let real = cr.loadUnaligned(fromByteOffset: offset, as: Vector.self).addingProduct(xr, yr).addingProduct(-xi, yi)
      let imaginary = ci.loadUnaligned(fromByteOffset: offset, as: Vector.self).addingProduct(xi, yr).addingProduct(xr, yi)
      cr.storeBytes(of: real, toByteOffset: offset, as: Vector.self)
      ci.storeBytes(of: imaginary, toByteOffset: offset, as: Vector.self)
      index += 8
    }
    let (xr, xi, yr, yi) = (a, a + count, b, b + count)
    let (zr, zi) = (accumulator, accumulator + count)
    while index < count {
      let y = sign * yi[index]
      zr[index] += xr[index] * yr[index] - xi[index] * y
      zi[index] += xi[index] * yr[index] + xr[index] * y
      index += 1
    }
  }

  /// Convolution by FFT: per output plane, one inverse transform of a sum of spectrum products.
  ///
  ///     X[n, c] = FFT(input[n, c] zero-padded by P)         W[o, c] = FFT(weight[o, c])
  ///     R[n, o] = Σ_c X[n, c] · conj(W[o, c])               (correlation theorem)
  ///     output[n, o, y, x] = IFFT(R[n, o])[y·S, x·S] + bias[o]
  ///
  /// The circular correlation r[u] = Σ_t x[(u + t) mod F] · w[t] equals the linear one for
  /// u ≤ H + 2P − K because u + t < H + 2P ≤ F. Stride S keeps every S-th output. Shapes as `directForward`.
  public static func fftForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    let g = try ConvolutionGeometry(input: input.shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding)
    if g.n == 0 { return Tensor(zeros: g.outputShape) }  // an empty batch: no pointers to take
    let plan = fftPlan(g)
    let spectrum = plan.spectrumCount
    let kernelSpectra = weightSpectra(weight, geometry: g, plan: plan)  // (O, C) blocks
    let biasValues = bias?.scalars ?? [Float](repeating: 0, count: g.o)
    var output = Tensor(zeros: g.outputShape)
    input.withUnsafeBufferPointer { inputBuffer in
      kernelSpectra.withUnsafeBufferPointer { kernelBuffer in
        output.withUnsafeMutableBufferPointer { outputBuffer in
          let x = UncheckedSendable(inputBuffer.baseAddress!)
          let w = UncheckedSendable(kernelBuffer.baseAddress!)
          let out = UncheckedSendable(outputBuffer.baseAddress!)
          forEachStripe(of: g.n, threadCount: kernelThreadCount) { images, _ in
            let counts = fftForwardScratch(g).perThread
            let inputSpectra = UnsafeMutablePointer<Float>.allocate(capacity: counts[0])
            let accumulator = UnsafeMutablePointer<Float>.allocate(capacity: counts[1])
            let grid = UnsafeMutablePointer<Float>.allocate(capacity: counts[2])
            defer { inputSpectra.deallocate(); accumulator.deallocate(); grid.deallocate() }
            for n in images {
              for c in 0..<g.c {
                grid.update(repeating: 0, count: plan.height * plan.width)
                copyPadded(x.value + (n * g.c + c) * g.h * g.w, height: g.h, width: g.w, offset: g.p, into: grid, gridWidth: plan.width)
                let block = inputSpectra + c * 2 * spectrum
                plan.forward(UnsafePointer(grid), real: block, imaginary: block + spectrum)
              }
              for o in 0..<g.o {
                accumulator.update(repeating: 0, count: 2 * spectrum)
                for c in 0..<g.c {
                  multiplyAccumulate(
                    inputSpectra + c * 2 * spectrum, w.value + (o * g.c + c) * 2 * spectrum, conjugatingB: true,
                    into: accumulator, count: spectrum)
                }
                plan.inverse(real: accumulator, imaginary: accumulator + spectrum, image: grid)
                let plane = out.value + (n * g.o + o) * g.outH * g.outW
                for y in 0..<g.outH {
                  for xx in 0..<g.outW { plane[y * g.outW + xx] = grid[y * g.s * plan.width + xx * g.s] + biasValues[o] }
                }
              }
            }
          }
        }
      }
    }
    return output
  }

  /// The gradients by FFT.
  ///
  /// With D[n, o] = FFT(dY[n, o] spread out by the stride: dYₛ[y·S, x·S] = dY[y, x]):
  ///
  ///     gradInput[n, c]  = IFFT(Σ_o D[n, o] · W[o, c]), cropped by P      (convolution theorem)
  ///     gradWeight[o, c] = IFFT(Σ_n X[n, c] · conj(D[n, o]))[0..<K, 0..<K] (correlation theorem)
  ///     gradBias[o]      = Σ_{n,y,x} dY[n, o, y, x]
  ///
  /// gradInput is the full convolution of dYₛ with the kernel, whose length (H′ − 1)·S + K ≤ H + 2P
  /// fits the grid; gradWeight reads the correlation at lags below K, where t + i < H + 2P ≤ F.
  /// So neither wraps around. Everything runs through the FFT; nothing is delegated to GEMM.
  public static func fftBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    let g = try ConvolutionGeometry(
      backward: gradOutput.shape, input: input.shape, weight: weight.shape, stride: stride, padding: padding,
      function: "Conv2D.fftBackward")
    if g.n == 0 { return (Tensor(zeros: g.inputShape), Tensor(zeros: g.weightShape), Tensor(zeros: [g.o])) }  // empty batch
    let plan = fftPlan(g)
    let spectrum = plan.spectrumCount
    let gridSize = plan.height * plan.width
    let kernelSpectra = weightSpectra(weight, geometry: g, plan: plan)  // (O, C) blocks
    let inputSpectra = input.withUnsafeBufferPointer { buffer in  // (N, C) blocks
      let x = UncheckedSendable(buffer.baseAddress!)
      return spectra(count: g.n * g.c, plan: plan) { index, grid in
        copyPadded(x.value + index * g.h * g.w, height: g.h, width: g.w, offset: g.p, into: grid, gridWidth: plan.width)
      }
    }
    let gradientSpectra = gradOutput.withUnsafeBufferPointer { buffer in  // (N, O) blocks
      let dY = UncheckedSendable(buffer.baseAddress!)
      return spectra(count: g.n * g.o, plan: plan) { index, grid in
        let plane = dY.value + index * g.outH * g.outW
        for y in 0..<g.outH {
          for x in 0..<g.outW { grid[y * g.s * plan.width + x * g.s] = plane[y * g.outW + x] }
        }
      }
    }
    var gradInput = Tensor(zeros: g.inputShape)
    var gradWeight = Tensor(zeros: g.weightShape)
    kernelSpectra.withUnsafeBufferPointer { kernelBuffer in
      inputSpectra.withUnsafeBufferPointer { inputBuffer in
        gradientSpectra.withUnsafeBufferPointer { gradientBuffer in
          let w = UncheckedSendable(kernelBuffer.baseAddress!)
          let xs = UncheckedSendable(inputBuffer.baseAddress!)
          let d = UncheckedSendable(gradientBuffer.baseAddress!)
          gradInput.withUnsafeMutableBufferPointer { gradInputBuffer in
            let dX = UncheckedSendable(gradInputBuffer.baseAddress!)
            forEachStripe(of: g.n, threadCount: kernelThreadCount) { images, _ in
              let accumulator = UnsafeMutablePointer<Float>.allocate(capacity: 2 * spectrum + gridSize)
              defer { accumulator.deallocate() }
              let grid = accumulator + 2 * spectrum
              for n in images {
                for c in 0..<g.c {
                  accumulator.update(repeating: 0, count: 2 * spectrum)
                  for o in 0..<g.o {
                    multiplyAccumulate(
                      d.value + (n * g.o + o) * 2 * spectrum, w.value + (o * g.c + c) * 2 * spectrum,
                      conjugatingB: false, into: accumulator, count: spectrum)
                  }
                  plan.inverse(real: accumulator, imaginary: accumulator + spectrum, image: grid)
                  let plane = dX.value + (n * g.c + c) * g.h * g.w
                  for h in 0..<g.h {
                    for x in 0..<g.w { plane[h * g.w + x] = grid[(h + g.p) * plan.width + x + g.p] }
                  }
                }
              }
            }
          }
          gradWeight.withUnsafeMutableBufferPointer { gradWeightBuffer in
            let dW = UncheckedSendable(gradWeightBuffer.baseAddress!)
            forEachStripe(of: g.o, threadCount: kernelThreadCount) { outputs, _ in
              let accumulator = UnsafeMutablePointer<Float>.allocate(capacity: 2 * spectrum + gridSize)
              defer { accumulator.deallocate() }
              let grid = accumulator + 2 * spectrum
              for o in outputs {
                for c in 0..<g.c {
                  accumulator.update(repeating: 0, count: 2 * spectrum)
                  for n in 0..<g.n {
                    multiplyAccumulate(
                      xs.value + (n * g.c + c) * 2 * spectrum, d.value + (n * g.o + o) * 2 * spectrum,
                      conjugatingB: true, into: accumulator, count: spectrum)
                  }
                  plan.inverse(real: accumulator, imaginary: accumulator + spectrum, image: grid)
                  let kernel = dW.value + (o * g.c + c) * g.k * g.k
                  for i in 0..<g.k {
                    for j in 0..<g.k { kernel[i * g.k + j] = grid[i * plan.width + j] }
                  }
                }
              }
            }
          }
        }
      }
    }
    var gradBias = Tensor(zeros: [g.o])
    gradOutput.withUnsafeBufferPointer { dY in
      gradBias.withUnsafeMutableBufferPointer { gradBias in
        accumulateBiasGradient(
          dY.baseAddress, images: 0..<g.n, channels: g.o, planeSize: g.outH * g.outW, into: gradBias.baseAddress)
      }
    }
    return (gradInput, gradWeight, gradBias)
  }

  /// FFT(weight[o, c]) on the grid for every (o, c), as (O, C) blocks of [real, imaginary] parts.
  private static func weightSpectra(_ weight: Tensor, geometry g: ConvolutionGeometry, plan: FFT2D) -> [Float] {
    weight.withUnsafeBufferPointer { buffer in
      let w = UncheckedSendable(buffer.baseAddress!)
      return spectra(count: g.o * g.c, plan: plan) { index, grid in
        copyPadded(w.value + index * g.k * g.k, height: g.k, width: g.k, offset: 0, into: grid, gridWidth: plan.width)
      }
    }
  }

  /// Copies an (height, width) plane into a zeroed grid at (offset, offset).
  @inline(__always)
  private static func copyPadded(
    _ plane: UnsafePointer<Float>, height: Int, width: Int, offset: Int, into grid: UnsafeMutablePointer<Float>, gridWidth: Int
  ) {
    for y in 0..<height {
      (grid + (y + offset) * gridWidth + offset).update(from: plane + y * width, count: width)
    }
  }
}
