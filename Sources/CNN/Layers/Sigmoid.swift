// Sigmoid: squashes any number into (0, 1); its derivative is written with its own output.

import Foundation

/// The logistic function, element-wise.
///
///     output = σ(input) = 1 / (1 + e^(−input))      ∂output/∂input = σ · (1 − σ)
///
/// Shapes: any → the same shape.
public final class Sigmoid: Layer {
  /// Keeps the output for backward.
  private var activation = ActivationByOutput()

  public init() {}

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    // e^(−x) → ∞ gives 1 / ∞ = 0, no NaN.
    activation.forward(input, mode: mode) { x in 1 / (1 + expf(-x)) }
  }

  //   gradInput = gradOutput · σ · (1 − σ)

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    try activation.backward(gradOutput, layer: summary) { s in s * (1 - s) }
  }
}
