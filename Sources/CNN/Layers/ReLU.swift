// ReLU: the rectifier max(0, x), the nonlinearity between most layers of a CNN.

/// The rectified linear unit, element-wise.
///
///     output = max(0, input)          ∂output/∂input = 1 if input > 0, else 0
///
/// Shapes: any → the same shape. NOTE: at exactly 0 the derivative is taken as 0, as PyTorch does.
public final class ReLU: Layer {
  /// What backward needs: the input, whose sign decides which gradients pass.
  struct Cache { let input: Tensor }
  private var cache: Cache?

  public init() {}

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    var output = input
    output.withUnsafeMutableBufferPointer { y in
      for i in 0..<y.count { y[i] = max(y[i], 0) }
    }
    cache = mode == .training ? Cache(input: input) : nil
    return output
  }

  //   gradInput = gradOutput where input > 0, else 0

  public func backward(_ gradOutput: Tensor) -> Tensor {
    guard let cache else { preconditionFailure("ReLU.backward called without a training-mode forward") }
    var gradInput = gradOutput
    gradInput.withUnsafeMutableBufferPointer { g in
      cache.input.withUnsafeBufferPointer { x in
        for i in 0..<g.count { g[i] = x[i] > 0 ? g[i] : 0 }
      }
    }
    return gradInput
  }
}
