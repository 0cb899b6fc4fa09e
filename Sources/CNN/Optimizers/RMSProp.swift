// RMSProp: divide each gradient element by a running root-mean-square of its recent values, so
// every parameter moves at a similar speed whatever the scale of its gradient. PyTorch's rule
// (torch.optim.RMSprop), including the optional momentum and the centred variant.

/// RMSProp with PyTorch's update rule.
///
///     g = grad + weightDecay · θ                      (L2 folded into the gradient, as in SGD)
///     v = α · v + (1 − α) · g²                        (running mean of g², starts at 0)
///     centered:  ḡ = α · ḡ + (1 − α) · g,   s = v − ḡ²   (a running variance instead)
///     otherwise: s = v
///     d = g / (√s + ε)
///     momentum μ > 0:  b = μ · b + d,  θ = θ − learningRate · b      (b starts at 0)
///     otherwise:       θ = θ − learningRate · d
///
/// There is no bias correction (unlike Adam): v starts at 0, so the first steps are large,
/// d ≈ g / √(1 − α)·|g| = ±10 for α = 0.99; a small learning rate keeps them in check. ε sits
/// outside the square root, as in PyTorch (TensorFlow puts it inside).
///
/// - Source: Hinton, Lecture 6e of "Neural Networks for Machine Learning" (Coursera, 2012),
///   https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf ; the centred form:
///   Graves, "Generating Sequences With Recurrent Neural Networks", 2013, https://arxiv.org/abs/1308.0850
public final class RMSProp: Optimizer {
  public let parameters: [Parameter]
  public var learningRate: Float
  /// α: the decay of the running averages (PyTorch's `alpha`).
  public let alpha: Float
  public let epsilon: Float
  public let weightDecay: Float
  public let momentum: Float
  /// Divides by the running standard deviation of g instead of its root mean square.
  public let centered: Bool
  private var squareAverage: [[Float]]  // v per parameter
  private var gradientAverage: [[Float]]  // ḡ per parameter (centered only)
  private var velocity: [[Float]]  // b per parameter (momentum only)

  /// PyTorch's defaults: learning rate 0.01, α 0.99, ε 1e-8, no decay, no momentum, not centred.
  public init(
    parameters: [Parameter], learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8,
    weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
  ) throws {
    try checkOptimizerSetting("RMSProp", "learningRate", learningRate)
    try checkOptimizerSetting("RMSProp", "weightDecay", weightDecay)
    try checkOptimizerSetting("RMSProp", "momentum", momentum)
    guard alpha >= 0 && alpha < 1 else { throw CNNError("RMSProp: alpha must be at least 0 and below 1, got \(alpha)") }
    guard epsilon > 0 && epsilon.isFinite else { throw CNNError("RMSProp: epsilon must be positive, got \(epsilon)") }
    self.parameters = parameters
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.momentum = momentum
    self.centered = centered
    let zeros = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    squareAverage = zeros
    gradientAverage = centered ? zeros : []
    velocity = momentum != 0 ? zeros : []
  }

  public func step() {
    for index in parameters.indices { update(index) }
  }

  /// One parameter's update, element by element: the formula above, line for line.
  private func update(_ index: Int) {
    let parameter = parameters[index]
    let (lr, a, eps, decay, mu) = (learningRate, alpha, epsilon, weightDecay, momentum)
    let grad = parameter.grad
    // Moved out (and back below) so the buffers stay uniquely referenced: no copy per step.
    var v = squareAverage[index]
    squareAverage[index] = []
    var gBar: [Float] = []
    if centered { swap(&gBar, &gradientAverage[index]) }
    var b: [Float] = []
    if mu != 0 { swap(&b, &velocity[index]) }
    parameter.value.withUnsafeMutableBufferPointer { theta in
      grad.withUnsafeBufferPointer { gradient in
        for i in 0..<theta.count {
          let g = gradient[i] + decay * theta[i]
          v[i] = a * v[i] + (1 - a) * g * g
          var s = v[i]
          if centered {
            gBar[i] = a * gBar[i] + (1 - a) * g
            s -= gBar[i] * gBar[i]
          }
          let d = g / (s.squareRoot() + eps)
          if mu != 0 {
            b[i] = mu * b[i] + d
            theta[i] -= lr * b[i]
          } else {
            theta[i] -= lr * d
          }
        }
      }
    }
    squareAverage[index] = v
    if centered { gradientAverage[index] = gBar }
    if mu != 0 { velocity[index] = b }
  }
}
