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
    // One pass into fresh storage (copying `input` first and then clamping would be two).
    let output = Tensor(shape: input.shape, scalars: [Float](unsafeUninitializedCapacity: input.count) { y, initialized in
      input.withUnsafeBufferPointer { x in
        for i in 0..<x.count { y[i] = max(x[i], 0) }
      }
      initialized = input.count
    })
    cache = mode == .training ? Cache(input: input) : nil
    return output
  }

  //   gradInput = gradOutput where input > 0, else 0

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    try checkGradientShape(gradOutput, expected: cache.input.shape, layer: summary)
    // One pass into fresh storage: gradOutput is still referenced by the caller, so writing into
    // a copy of it would first copy every element.
    return Tensor(shape: gradOutput.shape, scalars: [Float](unsafeUninitializedCapacity: gradOutput.count) { gradInput, initialized in
      gradOutput.withUnsafeBufferPointer { g in
        cache.input.withUnsafeBufferPointer { x in
          for i in 0..<g.count { gradInput[i] = x[i] > 0 ? g[i] : 0 }
        }
      }
      initialized = gradOutput.count
    })
  }
}
