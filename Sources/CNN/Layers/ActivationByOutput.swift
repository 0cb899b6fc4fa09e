// What Sigmoid and Tanh share: an element-wise function whose derivative is written with its own
// output, so training keeps the output (not the input) for backward.

/// y = f(x) element-wise, y kept in training mode, and gradInput = gradOutput · f′ where f′ is a
/// function of y alone (σ′ = σ(1 − σ), tanh′ = 1 − tanh²).
struct ActivationByOutput {
  /// The last training-mode output; nil after an inference-mode forward.
  private var output: Tensor?

  /// f applied to every element; the result is kept when `mode` is training.
  mutating func forward(_ input: Tensor, mode: Mode, _ function: (Float) -> Float) -> Tensor {
    var result = input
    result.withUnsafeMutableBufferPointer { y in
      for i in 0..<y.count { y[i] = function(y[i]) }
    }
    output = mode == .training ? result : nil
    return result
  }

  /// gradOutput · derivative(y), element-wise, with y the kept output of `layer`'s forward; throws
  /// without a training-mode forward or for a gradient of another shape than y.
  func backward(_ gradOutput: Tensor, layer: String, derivative: (Float) -> Float) throws -> Tensor {
    guard let output else { throw CNNError.backwardWithoutForward(layer) }
    try checkGradientShape(gradOutput, expected: output.shape, layer: layer)
    var gradInput = gradOutput
    gradInput.withUnsafeMutableBufferPointer { g in
      output.withUnsafeBufferPointer { y in
        for i in 0..<g.count { g[i] *= derivative(y[i]) }
      }
    }
    return gradInput
  }
}
