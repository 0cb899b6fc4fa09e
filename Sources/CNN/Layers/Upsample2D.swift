// Nearest-neighbour upsampling: every pixel becomes an F×F block of copies.
// The gradient checker uses it to build max-pool windows whose ties are the same variable.

/// Repeats each pixel `factor` times along height and width.
///
///     output[n, c, y, x] = input[n, c, y / F, x / F]   (integer division)
///
/// Shapes: input (N, C, H, W) → output (N, C, H·F, W·F).
public final class Upsample2D: Layer {
  public let factor: Int

  /// What backward needs: the input's shape (each input receives the sum over its block).
  struct Cache { let inputShape: [Int] }
  private var cache: Cache?

  public init(factor: Int) throws {
    guard factor >= 1 else { throw CNNError("Upsample2D: factor must be at least 1, got \(factor)") }
    self.factor = factor
  }

  public var summary: String { "Upsample2D(×\(factor))" }

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    let (n, c, h, w) = try poolingInputShape(input, layer: summary)
    let f = factor
    var output = Tensor(zeros: [n, c, h * f, w * f])
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { out in
        for plane in 0..<(n * c) {
          for y in 0..<(h * f) {
            for xo in 0..<(w * f) {
              out[(plane * h * f + y) * w * f + xo] = x[(plane * h + y / f) * w + xo / f]
            }
          }
        }
      }
    }
    cache = mode == .training ? Cache(inputShape: input.shape) : nil
    return output
  }

  //   gradInput[n, c, y, x] = Σ_{i, j < F} gradOutput[n, c, y·F + i, x·F + j]

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    let (h, w) = (cache.inputShape[2], cache.inputShape[3])
    try checkGradientShape(
      gradOutput, expected: [cache.inputShape[0], cache.inputShape[1], h * factor, w * factor], layer: summary)
    let planes = cache.inputShape[0] * cache.inputShape[1]
    let f = factor
    var gradInput = Tensor(zeros: cache.inputShape)
    gradInput.withUnsafeMutableBufferPointer { gx in
      gradOutput.withUnsafeBufferPointer { g in
        for plane in 0..<planes {
          for y in 0..<(h * f) {
            for xo in 0..<(w * f) {
              gx[(plane * h + y / f) * w + xo / f] += g[(plane * h * f + y) * w * f + xo]
            }
          }
        }
      }
    }
    return gradInput
  }
}
