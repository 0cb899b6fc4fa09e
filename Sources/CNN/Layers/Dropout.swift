// Inverted dropout: in training, zero each element with probability p and scale the survivors by
// 1/(1 − p), so the expected output equals the input and inference needs no rescaling.

/// Inverted dropout with its own seeded generator (never the system RNG).
///
///     training:  mask_i = 1/(1 − p) with probability 1 − p, else 0;  output = input · mask
///     inference: output = input
///
/// Shapes: any → the same shape. Each training forward draws a fresh mask from the generator,
/// so a model built with the same seed repeats the same masks in the same order.
///
/// - Paper: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
///   Overfitting", 2014, https://jmlr.org/papers/v15/srivastava14a.html
public final class Dropout: Layer {
  public let rate: Float
  private var generator: SeededGenerator

  /// What backward needs: the mask (0 or 1/(1 − p) per element) used by the forward pass.
  struct Cache { let mask: Tensor }
  private var cache: Cache?

  /// `rate` is p, the probability of zeroing an element, in [0, 1).
  /// Throws a `CNNError` for a rate outside [0, 1) (1 would zero everything and divide by 0) or NaN.
  public init(rate: Float, seed: UInt64) throws {
    guard rate >= 0 && rate < 1 else {  // false for NaN too
      throw CNNError("Dropout: rate must be at least 0 and below 1, got \(rate)")
    }
    self.rate = rate
    self.generator = SeededGenerator(seed: seed)
  }

  public var summary: String { "Dropout(\(rate))" }

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    guard mode == .training else {
      cache = nil
      return input
    }
    var mask = Tensor(zeros: input.shape)
    let keep = 1 / (1 - rate)
    let p = rate
    var rng = generator  // a local copy keeps the generator out of the class's exclusivity checks
    mask.withUnsafeMutableBufferPointer { m in
      for i in 0..<m.count { m[i] = rng.nextUniform() < p ? 0 : keep }
    }
    generator = rng
    var output = input
    output.withUnsafeMutableBufferPointer { y in
      mask.withUnsafeBufferPointer { m in
        for i in 0..<y.count { y[i] *= m[i] }
      }
    }
    cache = Cache(mask: mask)
    return output
  }

  //   gradInput = gradOutput · mask

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    try checkGradientShape(gradOutput, expected: cache.mask.shape, layer: summary)
    var gradInput = gradOutput
    gradInput.withUnsafeMutableBufferPointer { g in
      cache.mask.withUnsafeBufferPointer { m in
        for i in 0..<g.count { g[i] *= m[i] }
      }
    }
    return gradInput
  }
}
