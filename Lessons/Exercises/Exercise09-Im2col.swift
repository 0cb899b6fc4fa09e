// Exercise 9 (chapter 9): im2col, the unrolling that turns a convolution into one matrix product.
// Grade it: swift run -c release cnn-lessons exercise 9   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// Unrolls every K×K patch of one image into a column of a matrix.
  ///
  ///     columns[(c·K + i)·K + j, y·W′ + x] = image[c, y·S + i − P, x·S + j − P]   (0 in the padding)
  ///
  /// Shapes: image (C, H, W) → columns (C·K·K, H′·W′), H′ = ⌊(H + 2P − K) / S⌋ + 1, W′ likewise.
  /// Then weight (O, C·K·K) · columns = the convolution's output (O, H′·W′) for that image.
  ///
  /// Hints:
  /// - One row per kernel tap (c, i, j), in that order; one column per output pixel (y, x).
  /// - Entries whose pixel falls in the padding are 0.
  ///
  /// Reference solution, for after your attempt: `im2col` in Sources/CNN/Layers/Conv2D+Im2col.swift.
  static func im2col(image: Tensor, kernelSize: Int, stride: Int, padding: Int) throws -> Tensor {
    throw NotWrittenYet("YourCode.im2col")
  }
}
