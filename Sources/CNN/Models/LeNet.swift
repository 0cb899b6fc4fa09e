// LeNet-5, as the course trains it on MNIST: two convolution + pooling stages, then three dense
// layers. ReLU and max pooling replace the original's scaled tanh and trainable subsampling.

/// Namespace for the model builders used by the lessons and the benchmark.
public enum Models {
  /// LeNet-5 for 28x28 single-channel digits.
  ///
  ///     (N, 1, 28, 28) → conv 5x5 1→6 pad 2 → ReLU → maxpool 2 → (N, 6, 14, 14)
  ///                    → conv 5x5 6→16     → ReLU → maxpool 2 → (N, 16, 5, 5)
  ///                    → flatten (N, 400) → dense 120 → ReLU → dense 84 → ReLU → dense 10 (logits)
  ///
  /// Parameter names follow `nn.Sequential` indices: `0.weight`, `3.weight`, `7.weight`, `9.weight`,
  /// `11.weight` (and biases), which is also the checkpoint order.
  ///
  /// - Paper: LeCun et al., "Gradient-Based Learning Applied to Document Recognition", 1998.
  public static func leNet5(using generator: inout SeededGenerator) throws -> Sequential {
    try Sequential(
      Conv2D(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2, using: &generator),
      ReLU(),
      MaxPool2D(kernelSize: 2),
      Conv2D(inChannels: 6, outChannels: 16, kernelSize: 5, using: &generator),
      ReLU(),
      MaxPool2D(kernelSize: 2),
      Flatten(),
      Dense(inputSize: 400, outputSize: 120, using: &generator),
      ReLU(),
      Dense(inputSize: 120, outputSize: 84, using: &generator),
      ReLU(),
      Dense(inputSize: 84, outputSize: 10, using: &generator))
  }
}
