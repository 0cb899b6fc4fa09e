// The "modern" network of the benchmark: two pairs of 3x3 convolutions with batch norm, max
// pooling and dropout, the shape of a small VGG for 28x28 digits (the benchmark workload `modern`).

extension Models {
  /// conv3x3 1→32 pad 1, BN, ReLU, conv3x3 32→32 pad 1, BN, ReLU, maxpool 2        → (N, 32, 14, 14)
  /// conv3x3 32→64 pad 1, BN, ReLU, conv3x3 64→64 pad 1, BN, ReLU, maxpool 2       → (N, 64, 7, 7)
  /// dropout 0.25, flatten (N, 3136), dense 3136→128, ReLU, dropout 0.5, dense 128→10 (logits).
  ///
  /// The convolutions have no bias: the batch norm after each one subtracts the channel mean, so a
  /// bias would cancel (pytorch_reference.py builds them with `bias=False` likewise).
  public static func modernConvNet(using generator: inout SeededGenerator, dropoutSeed: UInt64 = 7) throws -> Sequential {
    func convolution(_ input: Int, _ output: Int) throws -> Conv2D {
      try Conv2D(inChannels: input, outChannels: output, kernelSize: 3, padding: 1, usesBias: false, using: &generator)
    }
    return try Sequential([
      convolution(1, 32), try BatchNorm2D(channels: 32), ReLU(),
      convolution(32, 32), try BatchNorm2D(channels: 32), ReLU(),
      try MaxPool2D(kernelSize: 2),
      convolution(32, 64), try BatchNorm2D(channels: 64), ReLU(),
      convolution(64, 64), try BatchNorm2D(channels: 64), ReLU(),
      try MaxPool2D(kernelSize: 2),
      try Dropout(rate: 0.25, seed: dropoutSeed),
      Flatten(),
      try Dense(inputSize: 3136, outputSize: 128, using: &generator), ReLU(),
      try Dropout(rate: 0.5, seed: dropoutSeed &+ 1),
      try Dense(inputSize: 128, outputSize: 10, using: &generator),
    ])
  }
}
