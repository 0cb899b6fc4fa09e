// The fast Fourier transform, written out: an iterative radix-2 complex FFT, a real-input FFT that
// runs one complex FFT of half the length, and the 2-D real FFT (rows, then columns) that FFT
// convolution uses. Sizes are powers of two; complex data is kept split into real and imaginary parts.

import Foundation

/// A radix-2 complex FFT of one power-of-two size, with its twiddle factors precomputed.
///
///     forward:  X[k] = Σ_t x[t] · e^(−2πi·k·t/N)
///     inverse:  x[t] = (1/N) Σ_k X[k] · e^(+2πi·k·t/N)
///
/// Cooley–Tukey decimation in time: reorder the input by bit-reversed index, then log₂N passes of
/// butterflies that combine the DFTs of the even and odd halves: X[k] = E[k] + wᵏ·O[k],
/// X[k + N/2] = E[k] − wᵏ·O[k], w = e^(−2πi/N). N log₂N work instead of N².
public struct FFT: Sendable {
  public let size: Int
  /// cos(2πk/N) and sin(2πk/N) for k < N/2, computed in Double for accuracy.
  let cosines: [Float]
  let sines: [Float]
  /// bitReversal[t]: t with its log₂N bits in reverse order.
  let bitReversal: [Int]

  /// A transform of `size` points; throws unless `size` is a power of two.
  public init(size: Int) throws {
    guard size >= 1, size & (size - 1) == 0 else { throw CNNError("FFT: size \(size) is not a power of two") }
    self.size = size
    let angles = (0..<(size / 2)).map { 2 * Double.pi * Double($0) / Double(size) }
    cosines = angles.map { Float(cos($0)) }
    sines = angles.map { Float(sin($0)) }
    let bits = size.trailingZeroBitCount
    bitReversal = (0..<size).map { t in
      var reversed = 0
      for bit in 0..<bits where t & (1 << bit) != 0 { reversed |= 1 << (bits - 1 - bit) }
      return reversed
    }
  }

  /// Transforms `size` complex values in place (the inverse includes the 1/N).
  func transform(real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>, inverse: Bool) {
    let n = size
    bitReversal.withUnsafeBufferPointer { reversal in
      for t in 0..<n where reversal[t] > t {
        swap(&real[t], &real[reversal[t]])
        swap(&imaginary[t], &imaginary[reversal[t]])
      }
    }
    cosines.withUnsafeBufferPointer { cosines in
      sines.withUnsafeBufferPointer { sines in
        // The inverse uses the conjugate twiddles e^(+2πi·k/N).
        let sign: Float = inverse ? 1 : -1
        var half = 1
        while half < n {
          let twiddleStep = n / (2 * half)  // wᵏ for this pass's DFT length 2·half is w_N^(k·step)
          for j in 0..<half {
            let wr = cosines[j * twiddleStep], wi = sign * sines[j * twiddleStep]
            for start in stride(from: j, to: n, by: 2 * half) {
              let b = start + half
              // t = wᵏ · O[k]; then E ± t.
              let tr = wr * real[b] - wi * imaginary[b]
              let ti = wr * imaginary[b] + wi * real[b]
              real[b] = real[start] - tr
              imaginary[b] = imaginary[start] - ti
              real[start] += tr
              imaginary[start] += ti
            }
          }
          half *= 2
        }
      }
    }
    if inverse {
      let scale = 1 / Float(n)
      for t in 0..<n {
        real[t] *= scale
        imaginary[t] *= scale
      }
    }
  }

  /// The forward transform of split complex arrays, in place.
  public func forward(real: inout [Float], imaginary: inout [Float]) {
    guard real.count == size && imaginary.count == size else { fatalError("FFT.forward: expected \(size) values") }
    real.withUnsafeMutableBufferPointer { re in
      imaginary.withUnsafeMutableBufferPointer { im in transform(real: re.baseAddress!, imaginary: im.baseAddress!, inverse: false) }
    }
  }

  /// The inverse transform (with the 1/N), in place.
  public func inverse(real: inout [Float], imaginary: inout [Float]) {
    guard real.count == size && imaginary.count == size else { fatalError("FFT.inverse: expected \(size) values") }
    real.withUnsafeMutableBufferPointer { re in
      imaginary.withUnsafeMutableBufferPointer { im in transform(real: re.baseAddress!, imaginary: im.baseAddress!, inverse: true) }
    }
  }
}

/// The FFT of N real values by one complex FFT of N/2 points.
///
/// Pack z[t] = x[2t] + i·x[2t+1]; then Z = FFT(z) holds the spectra of the even samples,
/// E[k] = (Z[k] + conj Z[N/2−k]) / 2, and of the odd ones, O[k] = (Z[k] − conj Z[N/2−k]) / 2i, and
/// X[k] = E[k] + e^(−2πi·k/N)·O[k]. Only X[0...N/2] is returned: for real input X[N−k] = conj X[k].
public struct RealFFT: Sendable {
  public let size: Int
  let half: FFT
  /// cos and sin of 2πk/N for k ≤ N/2.
  let cosines: [Float]
  let sines: [Float]

  /// A real transform of `size` points (a power of two, at least 2).
  public init(size: Int) throws {
    guard size >= 2, size & (size - 1) == 0 else { throw CNNError("RealFFT: size \(size) is not a power of two ≥ 2") }
    self.size = size
    half = try FFT(size: size / 2)
    let angles = (0...(size / 2)).map { 2 * Double.pi * Double($0) / Double(size) }
    cosines = angles.map { Float(cos($0)) }
    sines = angles.map { Float(sin($0)) }
  }

  /// The number of complex outputs, N/2 + 1.
  public var spectrumSize: Int { size / 2 + 1 }

  /// X[0...N/2] of `x` (N values) into `real`/`imaginary`; `scratch` holds N floats.
  func forward(
    _ x: UnsafePointer<Float>, real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let m = size / 2
    let zr = scratch, zi = scratch + m
    for t in 0..<m {
      zr[t] = x[2 * t]
      zi[t] = x[2 * t + 1]
    }
    half.transform(real: zr, imaginary: zi, inverse: false)
    cosines.withUnsafeBufferPointer { cosines in
      sines.withUnsafeBufferPointer { sines in
        for k in 0...m {
          let k1 = k % m, k2 = (m - k) % m
          // Z[k] and conj Z[N/2 − k].
          let ar = zr[k1], ai = zi[k1], br = zr[k2], bi = -zi[k2]
          let er = (ar + br) * 0.5, ei = (ai + bi) * 0.5  // E[k]
          let or = (ai - bi) * 0.5, oi = -(ar - br) * 0.5  // O[k] = (Z − conj Z) / 2i
          let wr = cosines[k], wi = -sines[k]  // e^(−2πi·k/N)
          real[k] = er + wr * or - wi * oi
          imaginary[k] = ei + wr * oi + wi * or
        }
      }
    }
  }

  /// The N real values whose spectrum is X[0...N/2]; `scratch` holds N floats.
  func inverse(
    real: UnsafePointer<Float>, imaginary: UnsafePointer<Float>, output x: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let m = size / 2
    let zr = scratch, zi = scratch + m
    cosines.withUnsafeBufferPointer { cosines in
      sines.withUnsafeBufferPointer { sines in
        for k in 0..<m {
          // X[k] and conj X[N/2 − k] give E[k] = (X[k] + conj X[N/2−k]) / 2 and
          // O[k] = (X[k] − conj X[N/2−k]) · e^(+2πi·k/N) / 2; then Z[k] = E[k] + i·O[k].
          let ar = real[k], ai = imaginary[k], br = real[m - k], bi = -imaginary[m - k]
          let er = (ar + br) * 0.5, ei = (ai + bi) * 0.5
          let dr = (ar - br) * 0.5, di = (ai - bi) * 0.5
          let wr = cosines[k], wi = sines[k]
          let or = dr * wr - di * wi, oi = dr * wi + di * wr
          zr[k] = er - oi
          zi[k] = ei + or
        }
      }
    }
    half.transform(real: zr, imaginary: zi, inverse: true)
    for t in 0..<m {
      x[2 * t] = zr[t]
      x[2 * t + 1] = zi[t]
    }
  }

  /// X[0...N/2] of N real values.
  public func forward(_ x: [Float]) -> (real: [Float], imaginary: [Float]) {
    guard x.count == size else { fatalError("RealFFT.forward: expected \(size) values, got \(x.count)") }
    var real = [Float](repeating: 0, count: spectrumSize), imaginary = real
    var scratch = [Float](repeating: 0, count: size)
    x.withUnsafeBufferPointer { x in
      real.withUnsafeMutableBufferPointer { re in
        imaginary.withUnsafeMutableBufferPointer { im in
          scratch.withUnsafeMutableBufferPointer { s in
            forward(x.baseAddress!, real: re.baseAddress!, imaginary: im.baseAddress!, scratch: s.baseAddress!)
          }
        }
      }
    }
    return (real, imaginary)
  }

  /// The N real values with spectrum X[0...N/2].
  public func inverse(real: [Float], imaginary: [Float]) -> [Float] {
    guard real.count == spectrumSize && imaginary.count == spectrumSize else {
      fatalError("RealFFT.inverse: expected \(spectrumSize) values")
    }
    var x = [Float](repeating: 0, count: size)
    var scratch = [Float](repeating: 0, count: size)
    real.withUnsafeBufferPointer { re in
      imaginary.withUnsafeBufferPointer { im in
        x.withUnsafeMutableBufferPointer { x in
          scratch.withUnsafeMutableBufferPointer { s in
            inverse(real: re.baseAddress!, imaginary: im.baseAddress!, output: x.baseAddress!, scratch: s.baseAddress!)
          }
        }
      }
    }
    return x
  }
}

/// The 2-D FFT of a real H x W image: a real FFT of every row, then a complex FFT of every column
/// of the half spectrum.
///
///     X[u, v] = Σ_y Σ_x image[y, x] · e^(−2πi·(u·y/H + v·x/W)),   v = 0...W/2 kept (H x (W/2 + 1))
public struct FFT2D: Sendable {
  public let height: Int
  public let width: Int
  let rows: RealFFT
  let columns: FFT

  /// A transform of H x W images, both powers of two, W ≥ 2.
  public init(height: Int, width: Int) throws {
    self.height = height
    self.width = width
    rows = try RealFFT(size: width)
    columns = try FFT(size: height)
  }

  /// W/2 + 1: the columns of the half spectrum.
  public var spectrumWidth: Int { width / 2 + 1 }
  /// H · (W/2 + 1): the complex values of the half spectrum.
  public var spectrumCount: Int { height * spectrumWidth }

  /// The half spectrum (H, W/2 + 1) of `image` (H, W), split into real and imaginary parts.
  func forward(_ image: UnsafePointer<Float>, real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>) {
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: width + 2 * height)
    defer { scratch.deallocate() }
    for y in 0..<height {
      rows.forward(image + y * width, real: real + y * spectrumWidth, imaginary: imaginary + y * spectrumWidth, scratch: scratch)
    }
    transformColumns(real: real, imaginary: imaginary, inverse: false, scratch: scratch)
  }

  /// The image (H, W) whose half spectrum is `real`/`imaginary` (H, W/2 + 1).
  func inverse(real: UnsafePointer<Float>, imaginary: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>) {
    let spectrum = UnsafeMutablePointer<Float>.allocate(capacity: 2 * spectrumCount + width + 2 * height)
    defer { spectrum.deallocate() }
    let re = spectrum, im = spectrum + spectrumCount, scratch = spectrum + 2 * spectrumCount
    re.update(from: real, count: spectrumCount)
    im.update(from: imaginary, count: spectrumCount)
    transformColumns(real: re, imaginary: im, inverse: true, scratch: scratch)
    for y in 0..<height {
      rows.inverse(real: re + y * spectrumWidth, imaginary: im + y * spectrumWidth, output: image + y * width, scratch: scratch)
    }
  }

  private func transformColumns(
    real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>, inverse: Bool,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let columnReal = scratch, columnImaginary = scratch + height
    for v in 0..<spectrumWidth {
      for u in 0..<height {
        columnReal[u] = real[u * spectrumWidth + v]
        columnImaginary[u] = imaginary[u * spectrumWidth + v]
      }
      columns.transform(real: columnReal, imaginary: columnImaginary, inverse: inverse)
      for u in 0..<height {
        real[u * spectrumWidth + v] = columnReal[u]
        imaginary[u * spectrumWidth + v] = columnImaginary[u]
      }
    }
  }

  /// The half spectrum of an (H, W) image as two (H, W/2 + 1) tensors, for figures and tests.
  public func forward(_ image: Tensor) -> (real: Tensor, imaginary: Tensor) {
    guard image.shape == [height, width] else {
      fatalError("FFT2D.forward: expected an image of shape [\(height), \(width)], got \(image.shape)")
    }
    var real = Tensor(zeros: [height, spectrumWidth]), imaginary = real
    image.withUnsafeBufferPointer { x in
      real.withUnsafeMutableBufferPointer { re in
        imaginary.withUnsafeMutableBufferPointer { im in forward(x.baseAddress!, real: re.baseAddress!, imaginary: im.baseAddress!) }
      }
    }
    return (real, imaginary)
  }

  /// The (H, W) image with the given half spectrum.
  public func inverse(real: Tensor, imaginary: Tensor) -> Tensor {
    guard real.shape == [height, spectrumWidth] && imaginary.shape == real.shape else {
      fatalError("FFT2D.inverse: expected spectra of shape [\(height), \(spectrumWidth)]")
    }
    var image = Tensor(zeros: [height, width])
    real.withUnsafeBufferPointer { re in
      imaginary.withUnsafeBufferPointer { im in
        image.withUnsafeMutableBufferPointer { x in inverse(real: re.baseAddress!, imaginary: im.baseAddress!, image: x.baseAddress!) }
      }
    }
    return image
  }
}
