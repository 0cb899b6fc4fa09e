// Dense (fully connected) layer: every output is a weighted sum of every input plus a bias.

/// A fully connected layer.
///
///     output[n, o] = Σ_i input[n, i] · weight[o, i] + bias[o]
///
/// Shapes: input (N, I) → output (N, O); weight (O, I) as in PyTorch's `nn.Linear`; bias (O).
/// Inputs of higher rank are rejected: put a `Flatten` in front.
public final class Dense: Layer {
  public let inputSize: Int
  public let outputSize: Int
  public let weight: Parameter  // (O, I)
  public let bias: Parameter  // (O)

  /// What backward needs: the input, because ∂L/∂weight = gradOutputᵀ · input.
  struct Cache { let input: Tensor }
  private var cache: Cache?

  /// A layer with He-normal weights (suited to a following ReLU) and zero bias.
  /// Throws a `CNNError` when either size is below 1.
  public init(inputSize: Int, outputSize: Int, using generator: inout SeededGenerator) throws {
    guard inputSize >= 1 else { throw CNNError("Dense: inputSize must be at least 1, got \(inputSize)") }
    guard outputSize >= 1 else { throw CNNError("Dense: outputSize must be at least 1, got \(outputSize)") }
    self.inputSize = inputSize
    self.outputSize = outputSize
    weight = Parameter(
      name: "weight",
      value: Tensor(heNormal: [outputSize, inputSize], fanIn: inputSize, using: &generator))
    bias = Parameter(name: "bias", value: Tensor(zeros: [outputSize]))
  }

  /// A layer with the given weights (copied): weight (O, I), bias (O). Throws a one-line error
  /// naming both shapes when they do not fit.
  public init(weight: Tensor, bias: Tensor) throws {
    guard weight.rank == 2, weight.shape.allSatisfy({ $0 > 0 }) else {
      throw CNNError("Dense: weight must have shape (O, I), got \(weight.shape)")
    }
    guard bias.shape == [weight.shape[0]] else {
      throw CNNError("Dense(\(weight.shape[1])→\(weight.shape[0])): bias has shape \(bias.shape), expected [\(weight.shape[0])] to match weight \(weight.shape)")
    }
    (outputSize, inputSize) = (weight.shape[0], weight.shape[1])
    self.weight = Parameter(name: "weight", value: weight)
    self.bias = Parameter(name: "bias", value: bias)
  }

  public var parameters: [Parameter] { [weight, bias] }
  public var summary: String { "Dense(\(inputSize)→\(outputSize))" }

  // MARK: - Forward

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    guard input.rank == 2, input.shape[1] == inputSize else {
      throw CNNError.shape(summary, expected: "(N, \(inputSize))", got: input.shape)
    }
    let n = input.shape[0]
    var output = Tensor(unfilled: [n, outputSize])  // overwritten by the GEMM (accumulate: false)
    // output = input · weightᵀ, then + bias on every row.
    gemm(
      transposeA: false, transposeB: true, m: n, n: outputSize, k: inputSize,
      a: input.scalars, b: weight.value.scalars, c: &output.scalars, accumulate: false)
    output.withUnsafeMutableBufferPointer { out in
      bias.value.withUnsafeBufferPointer { b in
        for row in 0..<n {
          for o in 0..<outputSize { out[row * outputSize + o] += b[o] }
        }
      }
    }
    cache = mode == .training ? Cache(input: input) : nil
    return output
  }

  // MARK: - Backward
  //   gradInput  = gradOutput · weight          (N, O)·(O, I) → (N, I)
  //   gradWeight += gradOutputᵀ · input         (O, N)·(N, I) → (O, I)
  //   gradBias   += Σ_n gradOutput[n, :]

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    let n = cache.input.shape[0]
    try checkGradientShape(gradOutput, expected: [n, outputSize], layer: summary)
    var gradInput = Tensor(zeros: [n, inputSize])
    gemm(
      transposeA: false, transposeB: false, m: n, n: inputSize, k: outputSize,
      a: gradOutput.scalars, b: weight.value.scalars, c: &gradInput.scalars, accumulate: false)
    gemm(
      transposeA: true, transposeB: false, m: outputSize, n: inputSize, k: n,
      a: gradOutput.scalars, b: cache.input.scalars, c: &weight.grad.scalars, accumulate: true)
    bias.grad.withUnsafeMutableBufferPointer { gb in
      gradOutput.withUnsafeBufferPointer { g in
        accumulateBiasGradient(g.baseAddress, images: 0..<n, channels: outputSize, planeSize: 1, into: gb.baseAddress)
      }
    }
    return gradInput
  }
}
