// Adam: per-element step sizes from running averages of the gradient and its square, with bias
// correction, exactly as PyTorch's torch.optim.Adam (weight decay as L2 added to the gradient).

import Foundation

/// Adam with PyTorch's update rule (amsgrad off).
///
///     g = grad + weightDecay · θ           (L2, like torch.optim.Adam; AdamW would decay θ directly)
///     m = β1 · m + (1 − β1) · g
///     v = β2 · v + (1 − β2) · g²
///     θ = θ − (learningRate / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// - Paper: Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014,
///   https://arxiv.org/abs/1412.6980
public final class Adam: Optimizer {
  public let parameters: [Parameter]
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public let weightDecay: Float
  /// The number of steps taken, t in the bias corrections.
  public private(set) var stepCount = 0
  private var firstMoment: [[Float]]  // m per parameter, allocated once
  private var secondMoment: [[Float]]  // v per parameter, allocated once

  public init(
    parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, weightDecay: Float = 0
  ) throws {
    try checkAdamSettings("Adam", learningRate, beta1, beta2, epsilon, weightDecay)
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
    // Bias corrections in Double: 1 − 0.999ᵗ loses digits in Float for small t.
    let correction1 = Float(1 - pow(Double(beta1), t))
    let sqrtCorrection2 = Float((1 - pow(Double(beta2), t)).squareRoot())
    let stepSize = learningRate / correction1
    let (b1, b2, eps, decay) = (beta1, beta2, epsilon, weightDecay)
    for (index, parameter) in parameters.enumerated() {
      let grad = parameter.grad
      parameter.value.withUnsafeMutableBufferPointer { theta in
        grad.withUnsafeBufferPointer { gradient in
          firstMoment[index].withUnsafeMutableBufferPointer { m in
            secondMoment[index].withUnsafeMutableBufferPointer { v in
              for i in 0..<theta.count {
                let g = gradient[i] + decay * theta[i]
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

/// The argument checks Adam and AdamW share: a one-line `CNNError` naming the optimizer for a
/// negative or non-finite rate or decay, β outside [0, 1), or ε ≤ 0.
func checkAdamSettings(
  _ name: String, _ learningRate: Float, _ beta1: Float, _ beta2: Float, _ epsilon: Float, _ weightDecay: Float
) throws {
  try checkOptimizerSetting(name, "learningRate", learningRate)
  try checkOptimizerSetting(name, "weightDecay", weightDecay)
  guard beta1 >= 0 && beta1 < 1 else { throw CNNError("\(name): beta1 must be at least 0 and below 1, got \(beta1)") }
  guard beta2 >= 0 && beta2 < 1 else { throw CNNError("\(name): beta2 must be at least 0 and below 1, got \(beta2)") }
  guard epsilon > 0 && epsilon.isFinite else { throw CNNError("\(name): epsilon must be positive, got \(epsilon)") }
}
