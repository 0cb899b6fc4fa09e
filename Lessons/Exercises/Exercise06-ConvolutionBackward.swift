// Exercise 6 (chapter 6): the three gradients of a convolution, written by you.
// Grade it: swift run -c release cnn-lessons exercise 6   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// The backward pass of `output = convolution(input, weight) + bias` (exercise 2's forward).
  ///
  /// With dY = gradOutput and X the zero-padded input:
  ///
  ///     gradInput[n, c, h, w]  = Σ_o Σ_i Σ_j dY[n, o, y, x] · weight[o, c, i, j]
  ///                              over the (y, x) with y·S = h + P − i and x·S = w + P − j (in range)
  ///     gradWeight[o, c, i, j] = Σ_n Σ_y Σ_x dY[n, o, y, x] · X[n, c, y·S + i − P, x·S + j − P]
  ///     gradBias[o]            = Σ_n Σ_y Σ_x dY[n, o, y, x]
  ///
  /// Shapes: gradOutput (N, O, H′, W′), input (N, C, H, W), weight (O, C, K, K) →
  /// gradInput (N, C, H, W), gradWeight (O, C, K, K), gradBias (O).
  ///
  /// Hints:
  /// - The easiest correct gradInput "scatters": loop over the forward's n, o, y, x, c, i, j and
  ///   add dY[n, o, y, x] · weight[o, c, i, j] into gradInput at the input pixel the forward read
  ///   (skip taps in the padding). Written as a gather it is a full convolution of dY with the
  ///   kernel rotated 180°: forgetting that flip is the classic bug.
  /// - gradWeight and gradBias sum over the whole batch, not only image 0.
  ///
  /// Reference solution, for after your attempt: `Conv2D.directBackward` in Sources/CNN/Layers/Conv2D.swift.
  static func convolutionBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    throw NotWrittenYet("YourCode.convolutionBackward")
  }
}
