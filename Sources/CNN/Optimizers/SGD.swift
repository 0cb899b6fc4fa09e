// Stochastic gradient descent with momentum, Nesterov momentum and weight decay, exactly as
// PyTorch's torch.optim.SGD (dampening 0), so training traces can be compared step for step.

/// SGD with PyTorch's update rule.
///
///     g = grad + weightDecay · θ                         (L2 penalty folded into the gradient)
///     momentum ≠ 0:  b = g on the first step, else b = momentum · b + g
///                    g = g + momentum · b  (Nesterov)   or   g = b
///     θ = θ − learningRate · g
///
/// NOTE: this is PyTorch's form, where the learning rate multiplies the velocity at use; Sutskever
/// et al. fold it into the velocity instead. They differ only when the learning rate changes.
public final class SGD: Optimizer {
  public let parameters: [Parameter]
  public var learningRate: Float
  public let momentum: Float
  public let nesterov: Bool
  public let weightDecay: Float
  private var velocity: [[Float]]  // one momentum buffer b per parameter, allocated once
  private var hasVelocity = false

  public init(
    parameters: [Parameter], learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
    weightDecay: Float = 0
  ) throws {
    try checkOptimizerSetting("SGD", "learningRate", learningRate)
    try checkOptimizerSetting("SGD", "momentum", momentum)
    try checkOptimizerSetting("SGD", "weightDecay", weightDecay)
    guard !nesterov || momentum > 0 else {
      throw CNNError("SGD: Nesterov momentum needs momentum above 0, got momentum \(momentum)")
    }
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    velocity = momentum == 0 ? [] : parameters.map { [Float](repeating: 0, count: $0.value.count) }
  }

  public func step() {
    let (lr, mu, decay, isNesterov, isFirst) = (learningRate, momentum, weightDecay, nesterov, !hasVelocity)
    for (index, parameter) in parameters.enumerated() {
      let grad = parameter.grad
      parameter.value.withUnsafeMutableBufferPointer { theta in
        grad.withUnsafeBufferPointer { gradient in
          if mu == 0 {
            for i in 0..<theta.count {
              let g = gradient[i] + decay * theta[i]
              theta[i] -= lr * g
            }
            return
          }
          velocity[index].withUnsafeMutableBufferPointer { b in
            for i in 0..<theta.count {
              var g = gradient[i] + decay * theta[i]
              b[i] = isFirst ? g : mu * b[i] + g
              g = isNesterov ? g + mu * b[i] : b[i]
              theta[i] -= lr * g
            }
          }
        }
      }
    }
    hasVelocity = true
  }
}
