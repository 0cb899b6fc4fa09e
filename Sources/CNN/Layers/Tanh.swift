// Tanh: squashes into (−1, 1), centred on zero; its derivative is written with its own output.

import Foundation

/// The hyperbolic tangent, element-wise.
///
///     output = tanh(input)      ∂output/∂input = 1 − tanh²
///
/// Shapes: any → the same shape.
public final class Tanh: Layer {
  /// Keeps the output for backward.
  private var activation = ActivationByOutput()

  public init() {}

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    activation.forward(input, mode: mode) { x in tanhf(x) }
  }

  //   gradInput = gradOutput · (1 − output²)

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    try activation.backward(gradOutput, layer: summary) { t in 1 - t * t }
  }
}
