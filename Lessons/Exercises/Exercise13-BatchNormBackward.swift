// Exercise 13 (chapter 13, batch normalisation): the training-mode backward pass of batch norm,
// written by you.
// Grade it: swift run -c release cnn-lessons exercise 13   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// The backward pass of training-mode batch normalisation over (N, H, W) for each channel c,
  /// with M = N·H·W values per channel and the batch's own statistics:
  ///
  ///     μ_c = (1/M) Σ x,   σ²_c = (1/M) Σ (x − μ_c)²   (biased),   x̂ = (x − μ_c) / √(σ²_c + ε)
  ///     output = γ_c · x̂ + β_c
  ///
  ///     gradScale[c]  = Σ_{n,h,w} dY · x̂                 (∂L/∂γ)
  ///     gradOffset[c] = Σ_{n,h,w} dY                     (∂L/∂β)
  ///     gradInput     = γ_c / √(σ²_c + ε) · (dY − (1/M) Σ dY − x̂ · (1/M) Σ dY · x̂)
  ///
  /// Shapes: gradOutput and input (N, C, H, W), scale γ (C) → gradInput (N, C, H, W),
  /// gradScale (C), gradOffset (C). `epsilon` is ε (1e-5 in the checks).
  ///
  /// Hints:
  /// - Recompute μ, σ² and x̂ from `input` first (the forward's cache).
  /// - The mean and the variance both depend on every x of the channel: the two sums in gradInput
  ///   are their contributions. Forgetting the (1/M) Σ dY "mean term" is the classic bug.
  ///
  /// Reference solution, for after your attempt: `BatchNorm2D.backward` in Sources/CNN/Layers/BatchNorm2D.swift.
  static func batchNormBackward(
    gradOutput: Tensor, input: Tensor, scale: Tensor, epsilon: Float
  ) throws -> (gradInput: Tensor, gradScale: Tensor, gradOffset: Tensor) {
    throw NotWrittenYet("YourCode.batchNormBackward")
  }
}
