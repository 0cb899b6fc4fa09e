// Flatten: the bridge from convolution's (N, C, H, W) maps to a dense layer's (N, C·H·W) rows.

/// Keeps the batch dimension and merges all others, in row-major order (as PyTorch's `nn.Flatten`).
///
///     output[n, (c·H + y)·W + x] = input[n, c, y, x]
///
/// Shapes: input (N, C, H, W) (or any rank ≥ 1) → output (N, C·H·W). Backward reshapes back.
public final class Flatten: Layer {
  /// What backward needs: the input's shape, to undo the reshape.
  struct Cache { let inputShape: [Int] }
  private var cache: Cache?

  public init() {}

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    guard input.rank >= 1 else { throw CNNError.shape("Flatten", expected: "(N, …)", got: input.shape) }
    cache = mode == .training ? Cache(inputShape: input.shape) : nil
    // The row length from the shape, not count / N: an empty batch (N = 0) keeps its C·H·W.
    return input.reshaped(to: [input.shape[0], input.shape.dropFirst().reduce(1, *)])
  }

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    let n = cache.inputShape[0]
    try checkGradientShape(gradOutput, expected: [n, cache.inputShape.dropFirst().reduce(1, *)], layer: summary)
    return gradOutput.reshaped(to: cache.inputShape)
  }
}
