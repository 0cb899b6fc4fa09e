// Exercise 3 (chapter 3): the output size of a convolution with padding and stride, written by you.
// Grade it: swift run -c release cnn-lessons exercise 3   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// How many positions a K-wide window takes along one side of an input, with zero padding P on
  /// both ends and a step of S between windows.
  ///
  ///     H′ = ⌊(H + 2P − K) / S⌋ + 1
  ///
  /// `inputSize` is H (or W), the result H′ (or W′). Throw a `CNNError("…")` when no window fits,
  /// that is when H + 2P < K.
  ///
  /// Hints:
  /// - Count window positions: the first starts at 0, the last at most at H + 2P − K; S apart.
  /// - Padding is added on both sides (2P); integer division rounds down, which is what ⌊…⌋ asks.
  /// - Example: H = 7, K = 3, P = 1, S = 2 gives ⌊6 / 2⌋ + 1 = 4.
  ///
  /// Reference solution, for after your attempt: `Conv2D.outputSize` in Sources/CNN/Layers/Conv2D.swift.
  static func convolutionOutputSize(inputSize: Int, kernelSize: Int, stride: Int, padding: Int) throws -> Int {
    throw NotWrittenYet("YourCode.convolutionOutputSize")
  }
}
