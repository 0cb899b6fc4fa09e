// Exercise 2 (chapter 2): the convolution forward pass, written by you.
// Grade it: swift run -c release cnn-lessons exercise 2   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// The forward pass of a 2-D convolution layer (a cross-correlation, as in PyTorch).
  ///
  ///     output[n, o, y, x] = bias[o] + Σ_c Σ_i Σ_j input[n, c, y·S + i − P, x·S + j − P] · weight[o, c, i, j]
  ///
  /// Shapes: input (N, C, H, W), weight (O, C, K, K), bias (O) or nil → output (N, O, H′, W′) with
  /// H′ = ⌊(H + 2P − K) / S⌋ + 1 and W′ likewise. An input pixel outside the image (in the padding)
  /// reads as 0. S = `stride`, P = `padding`.
  ///
  /// Hints:
  /// - Seven loops: n, o, y, x for the output; c, i, j for the sum. Skip (do not clamp) the taps
  ///   that fall in the padding.
  /// - No kernel flip: deep-learning "convolution" reads weight[o, c, i, j] with input[y·S + i, …].
  /// - Add bias[o] once per output element, not once per channel or tap.
  /// - `Tensor(zeros: [n, o, h, w])`, then read and write with `tensor[n, c, y, x]`.
  /// - Throw a `CNNError("…")` when the kernel does not fit (H + 2P < K); exercise 3 is that formula.
  ///
  /// Reference solution, for after your attempt: `Conv2D.directForward` in Sources/CNN/Layers/Conv2D.swift.
  static func convolutionForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    throw NotWrittenYet("YourCode.convolutionForward")
  }
}
