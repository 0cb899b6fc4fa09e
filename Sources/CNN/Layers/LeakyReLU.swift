// Leaky ReLU: like ReLU, but negative inputs keep a small slope, so their gradient never dies.

/// The leaky rectifier, element-wise, with slope α for negative inputs.
///
///     output = input if input > 0, else α · input      ∂output/∂input = 1 or α
///
/// Shapes: any → the same shape.
public final class LeakyReLU: Layer {
  public let slope: Float

  /// What backward needs: the input, whose sign picks the slope.
  struct Cache { let input: Tensor }
  private var cache: Cache?

  /// `slope` is α; 0.01 is PyTorch's default `negative_slope`.
  public init(slope: Float = 0.01) { self.slope = slope }

  public var summary: String { "LeakyReLU(\(slope))" }

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    var output = input
    let alpha = slope
    output.withUnsafeMutableBufferPointer { y in
      for i in 0..<y.count { y[i] = y[i] > 0 ? y[i] : alpha * y[i] }
    }
    cache = mode == .training ? Cache(input: input) : nil
    return output
  }

  //   gradInput = gradOutput · (1 if input > 0 else α)

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    try checkGradientShape(gradOutput, expected: cache.input.shape, layer: summary)
    var gradInput = gradOutput
    let alpha = slope
    gradInput.withUnsafeMutableBufferPointer { g in
      cache.input.withUnsafeBufferPointer { x in
        for i in 0..<g.count { g[i] = x[i] > 0 ? g[i] : alpha * g[i] }
      }
    }
    return gradInput
  }
}
