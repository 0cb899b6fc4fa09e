// Tanh: squashes into (−1, 1), centred on zero; its derivative is written with its own output.

import Foundation

/// The hyperbolic tangent, element-wise.
///
///     output = tanh(input)      ∂output/∂input = 1 − tanh²
///
/// Shapes: any → the same shape.
public final class Tanh: Layer {
  /// What backward needs: the output, since tanh′ = 1 − tanh² needs nothing else.
  struct Cache { let output: Tensor }
  private var cache: Cache?

  public init() {}

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    var output = input
    output.withUnsafeMutableBufferPointer { y in
      for i in 0..<y.count { y[i] = tanhf(y[i]) }
    }
    cache = mode == .training ? Cache(output: output) : nil
    return output
  }

  //   gradInput = gradOutput · (1 − output²)

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    try checkGradientShape(gradOutput, expected: cache.output.shape, layer: summary)
    var gradInput = gradOutput
    gradInput.withUnsafeMutableBufferPointer { g in
      cache.output.withUnsafeBufferPointer { t in
        for i in 0..<g.count { g[i] *= 1 - t[i] * t[i] }
      }
    }
    return gradInput
  }
}
