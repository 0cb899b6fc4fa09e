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

  public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
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
    // Per-channel affine map output = a_c · x + b_c, from batch or running statistics.
    var mean = [Float](repeating: 0, count: channels)
    var inverseStd = [Float](repeating: 0, count: channels)
    if mode == .training {
      var variance = [Float](repeating: 0, count: channels)
      input.withUnsafeBufferPointer { x in
        for c in 0..<channels {
          // Plane sums are vectorised (BatchNorm2D+Fast.swift); the batch total is in Double.
          var sum: Double = 0
          for image in 0..<n {
            sum += planeSum(x.baseAddress! + (image * channels + c) * plane, count: plane)
          }
          let mu = sum / Double(m)
          var squares: Double = 0  // two passes: Σ(x − μ)² avoids the cancellation of Σx² − Mμ²
          for image in 0..<n {
            squares += planeSquaredDeviations(
              x.baseAddress! + (image * channels + c) * plane, count: plane, mean: Float(mu))
          }
          mean[c] = Float(mu)
          variance[c] = Float(squares / Double(m))  // biased: normalise as PyTorch does in training
          inverseStd[c] = Float(1 / (squares / Double(m) + Double(epsilon)).squareRoot())
        }
      }
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

    // x̂ is kept only for training's backward; inference computes the same y without storing it.
    // Both are written once into fresh storage (no copy of `input` first).
    let training = mode == .training
    var xHat = Tensor(zeros: training ? input.shape : [0])
    var output = Tensor(zeros: input.shape)
    input.withUnsafeBufferPointer { x in
      xHat.withUnsafeMutableBufferPointer { xh in
        output.withUnsafeMutableBufferPointer { y in
          scale.value.withUnsafeBufferPointer { gamma in
            offset.value.withUnsafeBufferPointer { beta in
              for image in 0..<n {
                for c in 0..<channels {
                  let base = (image * channels + c) * plane
                  let (mu, r, g, b) = (mean[c], inverseStd[c], gamma[c], beta[c])
                  if training {
                    for i in 0..<plane {
                      xh[base + i] = (x[base + i] - mu) * r
                      y[base + i] = g * xh[base + i] + b
                    }
                  } else {
                    for i in 0..<plane { y[base + i] = g * ((x[base + i] - mu) * r) + b }
                  }
                }
              }
            }
          }
        }
      }
    }
    cache = training ? Cache(xHat: xHat, inverseStd: inverseStd) : nil
    return output
  }

  // MARK: - Backward
  //   ∂L/∂γ_c += Σ gradOutput · x̂                                  (term 1)
  //   ∂L/∂β_c += Σ gradOutput                                      (term 2)
  //   ∂L/∂x    = γ_c / √(σ² + ε) · (gradOutput − (1/M) Σ gradOutput − x̂ · (1/M) Σ gradOutput · x̂)
  //              the mean term ↑ comes from μ depending on x; the last from σ² depending on x.

  public func backward(_ gradOutput: Tensor) -> Tensor {
    guard let cache else { preconditionFailure("BatchNorm2D.backward called without a training-mode forward") }
    precondition(gradOutput.shape == cache.xHat.shape, "BatchNorm2D.backward: gradOutput \(gradOutput.shape) does not match the last output \(cache.xHat.shape)")
    let (n, plane) = (gradOutput.shape[0], gradOutput.shape[2] * gradOutput.shape[3])
    let m = Float(n * plane)
    var gradInput = Tensor(zeros: gradOutput.shape)
    var sumGrad = [Float](repeating: 0, count: channels)
    var sumGradXHat = [Float](repeating: 0, count: channels)
    gradOutput.withUnsafeBufferPointer { g in
      cache.xHat.withUnsafeBufferPointer { xh in
        for c in 0..<channels {
          var sum: Double = 0
          var dot: Double = 0
          for image in 0..<n {  // plane sums vectorised: BatchNorm2D+Fast.swift
            let base = (image * channels + c) * plane
            let plane = planeSumAndDot(g.baseAddress! + base, xh.baseAddress! + base, count: plane)
            sum += plane.sum
            dot += plane.dot
          }
          sumGrad[c] = Float(sum)
          sumGradXHat[c] = Float(dot)
        }
        scale.grad.withUnsafeMutableBufferPointer { gGamma in
          for c in 0..<channels { gGamma[c] += sumGradXHat[c] }
        }
        offset.grad.withUnsafeMutableBufferPointer { gBeta in
          for c in 0..<channels { gBeta[c] += sumGrad[c] }
        }
        scale.value.withUnsafeBufferPointer { gamma in
          gradInput.withUnsafeMutableBufferPointer { gx in
            for image in 0..<n {
              for c in 0..<channels {
                let base = (image * channels + c) * plane
                let factor = gamma[c] * cache.inverseStd[c]
                let meanGrad = sumGrad[c] / m
                let meanGradXHat = sumGradXHat[c] / m
                for i in 0..<plane {
                  gx[base + i] = factor * (g[base + i] - meanGrad - xh[base + i] * meanGradXHat)
                }
              }
            }
          }
        }
      }
    }
    return gradInput
  }
}
