// Spatial batch normalisation: normalise each channel with the batch's statistics in training,
// with running statistics at inference, then scale and shift with learned γ and β.

import Foundation

/// Batch normalisation over (N, H, W) for each channel c, with M = N·H·W values per channel.
///
///     training:   μ_c = (1/M) Σ x,   σ²_c = (1/M) Σ (x − μ_c)²          (biased, as PyTorch)
///                 x̂ = (x − μ_c) / √(σ²_c + ε),   output = γ_c · x̂ + β_c
///                 runningMean     = (1 − momentum) · runningMean     + momentum · μ_c
///                 runningVariance = (1 − momentum) · runningVariance + momentum · σ²_c · M/(M − 1)
///     inference:  output = γ_c · (x − runningMean_c) / √(runningVariance_c + ε) + β_c
///
/// Shapes: input (N, C, H, W) → output (N, C, H, W); γ, β, running statistics (C).
/// NOTE: the running variance is the UNBIASED batch variance (÷ (M − 1)), the normalisation uses
/// the biased one (÷ M): both exactly as PyTorch's `nn.BatchNorm2d`, which the fixtures rely on.
/// Parameter names follow PyTorch's state dict: `weight` (γ), `bias` (β), `running_mean`, `running_var`.
///
/// - Paper: Ioffe & Szegedy, "Batch Normalization", 2015, https://arxiv.org/abs/1502.03167
public final class BatchNorm2D: Layer {
  public let channels: Int
  public let momentum: Float
  public let epsilon: Float
  /// γ, also known as the batch norm weight; starts at 1.
  public let scale: Parameter  // (C)
  /// β, also known as the batch norm bias; starts at 0.
  public let offset: Parameter  // (C)
  public let runningMean: Parameter  // (C), a buffer: saved in checkpoints, never trained
  public let runningVariance: Parameter  // (C), a buffer

  /// What backward needs: x̂ (for ∂L/∂γ and the last term of ∂L/∂x) and 1/√(σ² + ε) per channel.
  struct Cache {
    let xHat: Tensor  // (N, C, H, W)
    let inverseStd: [Float]  // (C)
  }
  private var cache: Cache?

  /// Throws a `CNNError` for fewer than 1 channel, a momentum outside [0, 1] or an ε that is not positive.
  public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) throws {
    guard channels >= 1 else { throw CNNError("BatchNorm2D: channels must be at least 1, got \(channels)") }
    guard momentum >= 0 && momentum <= 1 else {
      throw CNNError("BatchNorm2D: momentum must be between 0 and 1, got \(momentum)")
    }
    guard epsilon > 0 && epsilon.isFinite else { throw CNNError("BatchNorm2D: epsilon must be positive, got \(epsilon)") }
    self.channels = channels
    self.momentum = momentum
    self.epsilon = epsilon
    scale = Parameter(name: "weight", value: Tensor(repeating: 1, shape: [channels]))
    offset = Parameter(name: "bias", value: Tensor(zeros: [channels]))
    runningMean = Parameter(name: "running_mean", value: Tensor(zeros: [channels]))
    runningVariance = Parameter(name: "running_var", value: Tensor(repeating: 1, shape: [channels]))
  }

  public var parameters: [Parameter] { [scale, offset] }
  public var buffers: [Parameter] { [runningMean, runningVariance] }
  public var summary: String { "BatchNorm2D(\(channels))" }

  // MARK: - Forward

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    guard input.rank == 4, input.shape[1] == channels else {
      throw CNNError.shape(summary, expected: "(N, \(channels), H, W)", got: input.shape)
    }
    let (n, plane) = (input.shape[0], input.shape[2] * input.shape[3])
    let m = n * plane
    guard mode == .inference || m > 1 else {
      throw CNNError("\(summary): training needs more than one value per channel, got input of shape \(input.shape)")
    }
    var mean = [Float](repeating: 0, count: channels)
    var inverseStd = [Float](repeating: 0, count: channels)
    let threads = threadCount(forElements: input.count)
    if mode == .training {
      var variance = [Float](repeating: 0, count: channels)
      input.withUnsafeBufferPointer { xBuffer in
        mean.withUnsafeMutableBufferPointer { meanBuffer in
          variance.withUnsafeMutableBufferPointer { varianceBuffer in
            let (xs, means, variances) = (UncheckedSendable(xBuffer), UncheckedSendable(meanBuffer), UncheckedSendable(varianceBuffer))
            let channelCount = channels
            // Channels are independent: each thread takes a stripe of them.
            forEachStripe(of: channels, threadCount: threads) { stripe, _ in
              let x = xs.value
              for c in stripe {
                var sum: Double = 0
                for image in 0..<n { sum += sumOfPlane(x, base: (image * channelCount + c) * plane, count: plane) }
                let mu = sum / Double(m)
                // Two passes: Σ(x − μ)² avoids the cancellation of Σx² − Mμ².
                var squares: Double = 0
                for image in 0..<n {
                  squares += sumOfSquaredDeviations(x, base: (image * channelCount + c) * plane, count: plane, mean: mu)
                }
                means.value[c] = Float(mu)
                variances.value[c] = Float(squares / Double(m))  // biased: normalise as PyTorch does in training
              }
            }
          }
        }
      }
      for c in 0..<channels { inverseStd[c] = Float(1 / (Double(variance[c]) + Double(epsilon)).squareRoot()) }
      let unbiasing = Float(m) / Float(m - 1)
      let mom = momentum
      runningMean.value.withUnsafeMutableBufferPointer { rm in
        for c in 0..<channels { rm[c] = (1 - mom) * rm[c] + mom * mean[c] }
      }
      runningVariance.value.withUnsafeMutableBufferPointer { rv in
        for c in 0..<channels { rv[c] = (1 - mom) * rv[c] + mom * variance[c] * unbiasing }
      }
    } else {
      mean = runningMean.value.scalars
      inverseStd = runningVariance.value.scalars.map { 1 / ($0 + epsilon).squareRoot() }
    }

    // x̂ = (x − μ) / √(σ² + ε), output = γ x̂ + β, one (image, channel) plane at a time.
    // Both are written in full below, so neither is zero-filled first; x̂ is only kept for
    // backward, so inference does not store it.
    let keepsXHat = mode == .training
    var xHat = keepsXHat ? Tensor(unfilled: input.shape) : Tensor(zeros: [0])
    var output = Tensor(unfilled: input.shape)
    let (gamma, beta) = (scale.value.scalars, offset.value.scalars)
    let (channelMean, channelInverseStd) = (mean, inverseStd)
    let channelCount = channels
    input.withUnsafeBufferPointer { xBuffer in
      xHat.withUnsafeMutableBufferPointer { xHatBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
          let (xs, xHats, outs) = (UncheckedSendable(xBuffer), UncheckedSendable(xHatBuffer), UncheckedSendable(outBuffer))
          forEachStripe(of: n * channels, threadCount: threads) { planes, _ in
            let (x, xh, y) = (xs.value, xHats.value, outs.value)
            for p in planes {
              let c = p % channelCount
              let (mu, r, g, b) = (channelMean[c], channelInverseStd[c], gamma[c], beta[c])
              if keepsXHat {
                for i in (p * plane)..<((p + 1) * plane) {
                  xh[i] = (x[i] - mu) * r
                  y[i] = g * xh[i] + b
                }
              } else {
                for i in (p * plane)..<((p + 1) * plane) { y[i] = g * ((x[i] - mu) * r) + b }
              }
            }
          }
        }
      }
    }
    cache = mode == .training ? Cache(xHat: xHat, inverseStd: inverseStd) : nil
    return output
  }

  // MARK: - Backward
  //   ∂L/∂γ_c += Σ gradOutput · x̂                                  (term 1)
  //   ∂L/∂β_c += Σ gradOutput                                      (term 2)
  //   ∂L/∂x    = γ_c / √(σ² + ε) · (gradOutput − (1/M) Σ gradOutput − x̂ · (1/M) Σ gradOutput · x̂)
  //              the mean term ↑ comes from μ depending on x; the last from σ² depending on x.

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    try checkGradientShape(gradOutput, expected: cache.xHat.shape, layer: summary)
    let (n, plane) = (gradOutput.shape[0], gradOutput.shape[2] * gradOutput.shape[3])
    let m = Float(n * plane)
    var gradInput = Tensor(zeros: gradOutput.shape)
    var sumGrad = [Float](repeating: 0, count: channels)
    var sumGradXHat = [Float](repeating: 0, count: channels)
    let threads = threadCount(forElements: gradOutput.count)
    let channelCount = channels
    gradOutput.withUnsafeBufferPointer { gBuffer in
      cache.xHat.withUnsafeBufferPointer { xHatBuffer in
        let (gs, xHats) = (UncheckedSendable(gBuffer), UncheckedSendable(xHatBuffer))
        sumGrad.withUnsafeMutableBufferPointer { sumBuffer in
          sumGradXHat.withUnsafeMutableBufferPointer { dotBuffer in
            let (sums, dots) = (UncheckedSendable(sumBuffer), UncheckedSendable(dotBuffer))
            forEachStripe(of: channelCount, threadCount: threads) { stripe, _ in
              let (g, xh) = (gs.value, xHats.value)
              for c in stripe {
                var sum: Double = 0
                var dot: Double = 0
                for image in 0..<n {
                  let base = (image * channelCount + c) * plane
                  sum += sumOfPlane(g, base: base, count: plane)
                  dot += dotOfPlanes(g, xh, base: base, count: plane)
                }
                sums.value[c] = Float(sum)
                dots.value[c] = Float(dot)
              }
            }
          }
        }
        let gamma = scale.value.scalars
        let inverseStd = cache.inverseStd
        let (meanGrad, meanGradXHat) = (sumGrad.map { $0 / m }, sumGradXHat.map { $0 / m })
        gradInput.withUnsafeMutableBufferPointer { gxBuffer in
          let gxs = UncheckedSendable(gxBuffer)
          forEachStripe(of: n * channelCount, threadCount: threads) { planes, _ in
            let (g, xh, gx) = (gs.value, xHats.value, gxs.value)
            for p in planes {
              let c = p % channelCount
              let factor = gamma[c] * inverseStd[c]
              let (a, b) = (meanGrad[c], meanGradXHat[c])
              for i in (p * plane)..<((p + 1) * plane) {
                gx[i] = factor * (g[i] - a - xh[i] * b)
              }
            }
          }
        }
      }
    }
    scale.grad.withUnsafeMutableBufferPointer { gGamma in
      for c in 0..<channels { gGamma[c] += sumGradXHat[c] }
    }
    offset.grad.withUnsafeMutableBufferPointer { gBeta in
      for c in 0..<channels { gBeta[c] += sumGrad[c] }
    }
    return gradInput
  }
}

// MARK: - Reference

extension BatchNorm2D {
  // Plain loops straight from the formulas: the reference the threaded forward and backward above
  // are tested against. For each channel c, over its M = N·H·W values:
  //
  //     μ_c  = (1/M) Σ_{n,y,x} x[n, c, y, x]          σ²_c = (1/M) Σ_{n,y,x} (x[n, c, y, x] − μ_c)²
  //     x̂    = (x − μ_c) / √(σ²_c + ε)                output = γ_c · x̂ + β_c
  //
  // Backward, in training (μ and σ² computed from the batch itself), with dY = gradOutput:
  //
  //     gradScale_c  = Σ dY · x̂                       gradOffset_c = Σ dY
  //     gradInput    = γ_c / √(σ²_c + ε) · ( dY  −  (1/M) Σ dY  −  x̂ · (1/M) Σ dY · x̂ )
  //                                          ↑ direct   ↑ through μ   ↑ through σ²
  //
  // Sums run in Double, as in the fast path, so that long channels do not drift.

  /// The batch statistics μ_c and σ²_c (biased, ÷ M) of an (N, C, H, W) input with M ≥ 1.
  public static func referenceStatistics(_ input: Tensor) throws -> (mean: [Float], variance: [Float]) {
    guard input.rank == 4, input.count > 0 else {
      throw CNNError.shape("BatchNorm2D.referenceStatistics", expected: "(N, C, H, W) with at least one value", got: input.shape)
    }
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let m = Double(n * h * w)
    var (mean, variance) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c))
    for channel in 0..<c {
      var sum: Double = 0
      for image in 0..<n {
        for y in 0..<h {
          for x in 0..<w { sum += Double(input[image, channel, y, x]) }
        }
      }
      let mu = sum / m
      var squares: Double = 0  // a second pass: Σ(x − μ)² does not cancel like Σx² − Mμ²
      for image in 0..<n {
        for y in 0..<h {
          for x in 0..<w {
            let deviation = Double(input[image, channel, y, x]) - mu
            squares += deviation * deviation
          }
        }
      }
      (mean[channel], variance[channel]) = (Float(mu), Float(squares / m))
    }
    return (mean, variance)
  }

  /// output = γ_c · (x − μ_c) / √(σ²_c + ε) + β_c with the given statistics: the batch's in
  /// training (`referenceStatistics`), the running ones at inference.
  public static func referenceForward(
    input: Tensor, mean: [Float], variance: [Float], scale: Tensor, offset: Tensor, epsilon: Float
  ) throws -> Tensor {
    let c = scale.count
    guard input.rank == 4, input.shape[1] == c, mean.count == c, variance.count == c, offset.count == c else {
      throw CNNError.shape("BatchNorm2D.referenceForward", expected: "(N, \(c), H, W) and \(c) of each statistic", got: input.shape)
    }
    var output = Tensor(zeros: input.shape)
    for image in 0..<input.shape[0] {
      for c in 0..<input.shape[1] {
        for y in 0..<input.shape[2] {
          for x in 0..<input.shape[3] {
            let xHat = (input[image, c, y, x] - mean[c]) / (variance[c] + epsilon).squareRoot()
            output[image, c, y, x] = scale[c] * xHat + offset[c]
          }
        }
      }
    }
    return output
  }

  /// The three-term backward of training mode (formulas above), from the input itself.
  public static func referenceBackward(
    gradOutput: Tensor, input: Tensor, scale: Tensor, epsilon: Float
  ) throws -> (gradInput: Tensor, gradScale: Tensor, gradOffset: Tensor) {
    let (mean, variance) = try referenceStatistics(input)
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    guard gradOutput.shape == input.shape, scale.count == c else {
      throw CNNError("BatchNorm2D.referenceBackward: gradOutput \(gradOutput.shape) and scale [\(scale.count)] must match input \(input.shape)")
    }
    let m = Float(n * h * w)
    func xHat(_ image: Int, _ channel: Int, _ y: Int, _ x: Int) -> Float {
      (input[image, channel, y, x] - mean[channel]) / (variance[channel] + epsilon).squareRoot()
    }
    var (gradInput, gradScale, gradOffset) = (Tensor(zeros: input.shape), Tensor(zeros: [c]), Tensor(zeros: [c]))
    for channel in 0..<c {
      var (sumDY, sumDYXHat): (Double, Double) = (0, 0)
      for image in 0..<n {
        for y in 0..<h {
          for x in 0..<w {
            sumDY += Double(gradOutput[image, channel, y, x])
            sumDYXHat += Double(gradOutput[image, channel, y, x] * xHat(image, channel, y, x))
          }
        }
      }
      (gradScale[channel], gradOffset[channel]) = (Float(sumDYXHat), Float(sumDY))
      let factor = scale[channel] / (variance[channel] + epsilon).squareRoot()
      for image in 0..<n {
        for y in 0..<h {
          for x in 0..<w {
            gradInput[image, channel, y, x] = factor * (gradOutput[image, channel, y, x]
              - Float(sumDY) / m - xHat(image, channel, y, x) * Float(sumDYXHat) / m)
          }
        }
      }
    }
    return (gradInput, gradScale, gradOffset)
  }
}

// MARK: - Reductions

// Four Double partial sums: no Float drift over long planes, and independent additions keep the
// floating-point adder busy instead of waiting on one chain.

func sumOfPlane(_ x: UnsafeBufferPointer<Float>, base: Int, count: Int) -> Double {
  var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
  var i = base
  while i + 4 <= base + count {
    s0 += Double(x[i]); s1 += Double(x[i + 1]); s2 += Double(x[i + 2]); s3 += Double(x[i + 3])
    i += 4
  }
  while i < base + count { s0 += Double(x[i]); i += 1 }
  return (s0 + s1) + (s2 + s3)
}

func sumOfSquaredDeviations(_ x: UnsafeBufferPointer<Float>, base: Int, count: Int, mean: Double) -> Double {
  var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
  var i = base
  while i + 4 <= base + count {
    let (d0, d1, d2, d3) = (Double(x[i]) - mean, Double(x[i + 1]) - mean, Double(x[i + 2]) - mean, Double(x[i + 3]) - mean)
    s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
    i += 4
  }
  while i < base + count { let d = Double(x[i]) - mean; s0 += d * d; i += 1 }
  return (s0 + s1) + (s2 + s3)
}

func dotOfPlanes(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, base: Int, count: Int) -> Double {
  var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
  var i = base
  while i + 4 <= base + count {
    s0 += Double(a[i]) * Double(b[i]); s1 += Double(a[i + 1]) * Double(b[i + 1])
    s2 += Double(a[i + 2]) * Double(b[i + 2]); s3 += Double(a[i + 3]) * Double(b[i + 3])
    i += 4
  }
  while i < base + count { s0 += Double(a[i]) * Double(b[i]); i += 1 }
  return (s0 + s1) + (s2 + s3)
}
