// The optimizer interface: read each parameter's accumulated gradient, update its value in place.

/// Updates parameters from their gradients; holds any per-parameter state (momentum, moments).
public protocol Optimizer: AnyObject {
  /// The parameters updated by `step()`, in a fixed order matching the state buffers.
  var parameters: [Parameter] { get }
  /// The learning rate, settable between steps for schedules.
  var learningRate: Float { get set }
  /// Applies one update using the gradients accumulated since the last `zeroGrad()`.
  func step()
}

extension Optimizer {
  /// Resets every parameter's gradient to zero (gradients accumulate until this is called).
  public func zeroGrad() { for parameter in parameters { parameter.zeroGrad() } }
}

/// Throws unless an optimizer setting (learning rate, momentum, weight decay) is finite and ≥ 0.
func checkOptimizerSetting(_ optimizer: String, _ name: String, _ value: Float) throws {
  guard value >= 0 && value.isFinite else {
    throw CNNError("\(optimizer): \(name) must be a finite number of 0 or more, got \(value)")
  }
}
