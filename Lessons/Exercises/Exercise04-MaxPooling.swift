// Exercise 4 (chapter 4): max pooling forward and backward, with the tie rule, written by you.
// Grade it: swift run -c release cnn-lessons exercise 4   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// Max pooling over K×K windows moved by S, without padding.
  ///
  ///     output[n, c, y, x] = max over i, j < K of input[n, c, y·S + i, x·S + j]
  ///
  /// Shapes: input (N, C, H, W) → output (N, C, H′, W′), H′ = ⌊(H − K) / S⌋ + 1, W′ likewise.
  ///
  /// Hints:
  /// - Start each window's maximum from its first element (or −∞), never from 0: inputs can be negative.
  /// - Throw a `CNNError("…")` when the window does not fit (H < K or W < K).
  ///
  /// Reference solution, for after your attempt: `MaxPool2D.forward` in Sources/CNN/Layers/MaxPool2D.swift.
  static func maxPoolForward(input: Tensor, kernelSize: Int, stride: Int) throws -> Tensor {
    throw NotWrittenYet("YourCode.maxPoolForward")
  }

  /// The backward pass of `maxPoolForward`: route each output's gradient to the input element that
  /// won its window.
  ///
  ///     gradInput[n, c, y·S + i*, x·S + j*] += gradOutput[n, c, y, x]
  ///     where (i*, j*) is the FIRST maximum of the window in row-major order (smallest i, then j)
  ///
  /// Shapes: gradOutput (N, C, H′, W′), input (N, C, H, W) → gradInput (N, C, H, W).
  ///
  /// Hints:
  /// - The tie rule: when several elements share the maximum, only the first one (compare with
  ///   `>`, not `≥`) gets the gradient, as in PyTorch. Σ gradInput then equals Σ gradOutput.
  /// - Overlapping windows (S < K) can pick the same winner: add (`+=`), do not overwrite.
  ///
  /// Reference solution, for after your attempt: `MaxPool2D.backward` in Sources/CNN/Layers/MaxPool2D.swift.
  static func maxPoolBackward(gradOutput: Tensor, input: Tensor, kernelSize: Int, stride: Int) throws -> Tensor {
    throw NotWrittenYet("YourCode.maxPoolBackward")
  }
}
