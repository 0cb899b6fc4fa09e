// FFT: the radix-2 complex FFT, the real-input FFT and the 2-D FFT against the DFT computed from
// its definition in Double, and their inverses as round trips.

import Foundation
import Testing
@testable import CNN

/// X[k] = Σ_t x[t] e^(−2πi·k·t/N) in Double, from the definition.
private func naiveDFT(real: [Float], imaginary: [Float]) -> (real: [Double], imaginary: [Double]) {
  let n = real.count
  var outReal = [Double](repeating: 0, count: n), outImaginary = outReal
  for k in 0..<n {
    for t in 0..<n {
      let angle = -2 * Double.pi * Double(k * t % n) / Double(n)
      outReal[k] += Double(real[t]) * cos(angle) - Double(imaginary[t]) * sin(angle)
      outImaginary[k] += Double(real[t]) * sin(angle) + Double(imaginary[t]) * cos(angle)
    }
  }
  return (outReal, outImaginary)
}

// Tolerance: a radix-2 FFT's rounding error grows like log₂N ulps of the largest |X| (~√N for
// N(0, 1) inputs); 1e-5 · (1 + √N) · log₂N sits well above that and far below any wrong twiddle.
private func fftTolerance(_ n: Int) -> Double { 1e-5 * (1 + Double(n).squareRoot()) * Double(max(1, n.trailingZeroBitCount)) }

@Test("complex FFT equals the DFT and the inverse restores the input", arguments: [1, 2, 4, 8, 64, 256])
func complexFFTMatchesDFT(_ n: Int) throws {
  var rng = SeededGenerator(seed: UInt64(n))
  let real = (0..<n).map { _ in rng.nextNormal() }, imaginary = (0..<n).map { _ in rng.nextNormal() }
  let fft = try FFT(size: n)
  var re = real, im = imaginary
  fft.forward(real: &re, imaginary: &im)
  let expected = naiveDFT(real: real, imaginary: imaginary)
  for k in 0..<n {
    #expect(abs(Double(re[k]) - expected.real[k]) < fftTolerance(n), "n \(n) Re X[\(k)]")
    #expect(abs(Double(im[k]) - expected.imaginary[k]) < fftTolerance(n), "n \(n) Im X[\(k)]")
  }
  fft.inverse(real: &re, imaginary: &im)
  #expect(zip(re, real).allSatisfy { abs($0 - $1) < 1e-5 } && zip(im, imaginary).allSatisfy { abs($0 - $1) < 1e-5 })
}

@Test("real FFT equals the first N/2 + 1 DFT values and inverts", arguments: [2, 4, 16, 128])
func realFFTMatchesDFT(_ n: Int) throws {
  var rng = SeededGenerator(seed: UInt64(100 + n))
  let x = (0..<n).map { _ in rng.nextNormal() }
  let fft = try RealFFT(size: n)
  let spectrum = fft.forward(x)
  let expected = naiveDFT(real: x, imaginary: [Float](repeating: 0, count: n))
  #expect(spectrum.real.count == n / 2 + 1)
  for k in 0...(n / 2) {
    #expect(abs(Double(spectrum.real[k]) - expected.real[k]) < fftTolerance(n), "n \(n) Re X[\(k)]")
    #expect(abs(Double(spectrum.imaginary[k]) - expected.imaginary[k]) < fftTolerance(n), "n \(n) Im X[\(k)]")
  }
  let back = fft.inverse(real: spectrum.real, imaginary: spectrum.imaginary)
  #expect(zip(back, x).allSatisfy { abs($0 - $1) < 1e-5 })
}

@Test("2-D FFT equals the 2-D DFT and inverts")
func fft2DMatchesDFT() throws {
  let (h, w) = (8, 16)
  var rng = SeededGenerator(seed: 9)
  let image = Tensor(randomNormal: [h, w], using: &rng)
  let plan = try FFT2D(height: h, width: w)
  let spectrum = plan.forward(image)
  for u in 0..<h {
    for v in 0...(w / 2) {
      var re = 0.0, im = 0.0
      for y in 0..<h {
        for x in 0..<w {
          let angle = -2 * Double.pi * (Double(u * y) / Double(h) + Double(v * x) / Double(w))
          re += Double(image[y, x]) * cos(angle)
          im += Double(image[y, x]) * sin(angle)
        }
      }
      #expect(abs(Double(spectrum.real[u, v]) - re) < fftTolerance(h * w) && abs(Double(spectrum.imaginary[u, v]) - im) < fftTolerance(h * w),
              "X[\(u), \(v)]")
    }
  }
  #expect(plan.inverse(real: spectrum.real, imaginary: spectrum.imaginary).maxAbsDifference(image) < 1e-5)
}

@Test("FFT sizes that are not powers of two are rejected")
func fftRejectsBadSizes() {
  #expect(throws: CNNError.self) { try FFT(size: 12) }
  #expect(throws: CNNError.self) { try RealFFT(size: 1) }
  #expect(throws: CNNError.self) { try FFT2D(height: 8, width: 6) }
}
