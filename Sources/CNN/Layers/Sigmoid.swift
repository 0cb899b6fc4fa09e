// Sigmoid: squashes any number into (0, 1); its derivative is written with its own output.

import Foundation

/// The logistic function, element-wise.
///
///     output = σ(input) = 1 / (1 + e^(−input))      ∂output/∂input = σ · (1 − σ)
///
/// Shapes: any → the same shape.
public final class Sigmoid: Layer {
  /// What backward needs: the output σ, since σ′ = σ(1 − σ) needs nothing else.
  struct Cache { let output: Tensor }
  private var cache: Cache?

  public init() {}

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    var output = input
    output.withUnsafeMutableBufferPointer { y in
      for i in 0..<y.count { y[i] = 1 / (1 + expf(-y[i])) }  // e^(−x) → ∞ gives 0, no NaN
    }
    cache = mode == .training ? Cache(output: output) : nil
    return output
  }

  //   gradInput = gradOutput · σ · (1 − σ)

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    try checkGradientShape(gradOutput, expected: cache.output.shape, layer: summary)
    var gradInput = gradOutput
    gradInput.withUnsafeMutableBufferPointer { g in
      cache.output.withUnsafeBufferPointer { s in
        for i in 0..<g.count { g[i] *= s[i] * (1 - s[i]) }
      }
    }
    return gradInput
  }
}
