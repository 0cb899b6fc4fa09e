// AdamW: Adam with decoupled weight decay, exactly as PyTorch's torch.optim.AdamW. The decay
// shrinks the weights directly instead of entering the gradient, so Adam's per-element scaling
// never touches it.

import Foundation

/// AdamW with PyTorch's update rule (amsgrad off).
///
///     θ = θ − learningRate · weightDecay · θ           (decoupled: before, and outside, Adam)
///     m = β1 · m + (1 − β1) · g                        (g = grad, no decay term in it)
///     v = β2 · v + (1 − β2) · g²
///     θ = θ − (learningRate / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// The difference from `Adam(weightDecay:)`: Adam adds the L2 term λθ to g, so it is divided by
/// √v like the rest of the gradient. A weight whose gradient is large (large √v) is then barely
/// decayed, one with tiny gradients is decayed by up to `learningRate` per step, whatever λ is:
/// the effective decay is λθ/√v, not λθ. AdamW applies the same relative shrink
/// (1 − learningRate·λ) to every weight each step, which is what "weight decay" means for SGD
/// (where the two forms coincide). With λ = 0 AdamW and Adam are the same optimizer.
///
/// - Paper: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019,
///   https://arxiv.org/abs/1711.05101
public final class AdamW: Optimizer {
  public let parameters: [Parameter]
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  /// λ: every step multiplies each weight by (1 − learningRate · λ). PyTorch's default is 0.01.
  public let weightDecay: Float
  /// The number of steps taken, t in the bias corrections.
  public private(set) var stepCount = 0
  private var firstMoment: [[Float]]  // m per parameter, allocated once
  private var secondMoment: [[Float]]  // v per parameter, allocated once

  /// The same arguments as `Adam`, with PyTorch's AdamW default decay of 0.01; the same checks
  /// (a one-line `CNNError` for a negative rate, β outside [0, 1), ε ≤ 0).
  public init(
    parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, weightDecay: Float = 1e-2
  ) throws {
    try checkAdamSettings("AdamW", learningRate, beta1, beta2, epsilon, weightDecay)
    self.parameters = parameters
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    firstMoment = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    secondMoment = firstMoment
  }

  public func step() {
    stepCount += 1
    let t = Double(stepCount)
    // Bias corrections in Double, as in Adam.
    let correction1 = Float(1 - pow(Double(beta1), t))
    let sqrtCorrection2 = Float((1 - pow(Double(beta2), t)).squareRoot())
    let stepSize = learningRate / correction1
    let shrink = 1 - learningRate * weightDecay
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    for (index, parameter) in parameters.enumerated() {
      let grad = parameter.grad
      parameter.value.withUnsafeMutableBufferPointer { theta in
        grad.withUnsafeBufferPointer { gradient in
          firstMoment[index].withUnsafeMutableBufferPointer { m in
            secondMoment[index].withUnsafeMutableBufferPointer { v in
              for i in 0..<theta.count {
                let g = gradient[i]
                theta[i] *= shrink  // decoupled decay, before the Adam update (PyTorch's order)
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                let denominator = v[i].squareRoot() / sqrtCorrection2 + eps
                theta[i] -= stepSize * m[i] / denominator
              }
            }
          }
        }
      }
    }
  }
}
