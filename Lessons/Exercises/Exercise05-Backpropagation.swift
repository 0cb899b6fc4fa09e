// Exercise 5 (chapter 5): backward passes of a dense layer and ReLU, and the softmax cross-entropy
// loss with its gradient, written by you.
// Grade it: swift run -c release cnn-lessons exercise 5   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// The backward pass of a dense layer, output = input · weightᵀ + bias.
  ///
  ///     gradInput  = gradOutput · weight           (N, O)·(O, I) → (N, I)
  ///     gradWeight = gradOutputᵀ · input           (O, N)·(N, I) → (O, I)
  ///     gradBias   = Σ_n gradOutput[n, :]          (O)
  ///
  /// Shapes: gradOutput (N, O), input (N, I), weight (O, I) as in PyTorch's `nn.Linear`.
  ///
  /// Hints:
  /// - Write each as loops first: gradWeight[o, i] = Σ_n gradOutput[n, o] · input[n, i].
  /// - The bias gradient sums over the batch (every row of the batch used the same bias).
  ///
  /// Reference solution, for after your attempt: `Dense.backward` in Sources/CNN/Layers/Dense.swift.
  static func denseBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    throw NotWrittenYet("YourCode.denseBackward")
  }

  /// The backward pass of ReLU, output = max(0, input), element-wise.
  ///
  ///     gradInput = gradOutput where input > 0, else 0
  ///
  /// Shapes: gradOutput and input of any one shape → gradInput of that shape.
  ///
  /// Hints:
  /// - The derivative of max(0, x) is 1 for x > 0 and 0 for x < 0; at exactly 0 take 0, as PyTorch.
  /// - Multiply by that mask, not by the input itself.
  ///
  /// Reference solution, for after your attempt: `ReLU.backward` in Sources/CNN/Layers/ReLU.swift.
  static func reluBackward(gradOutput: Tensor, input: Tensor) throws -> Tensor {
    throw NotWrittenYet("YourCode.reluBackward")
  }

  /// The mean cross-entropy of softmax(logits) against integer labels, and its gradient.
  ///
  ///     p[n, j]    = e^(z[n, j] − m_n) / Σ_k e^(z[n, k] − m_n),   m_n = max_k z[n, k]
  ///     loss       = −(1/N) Σ_n log p[n, label_n]
  ///     gradLogits = (p − onehot(labels)) / N
  ///
  /// Shapes: logits (N, M), labels N integers in 0..<M → loss (a number), gradLogits (N, M).
  ///
  /// Hints:
  /// - Subtract each row's maximum before `exp` (Foundation's `exp` or `expf`): e^1000 overflows.
  /// - log p[n, label] = (z[n, label] − m_n) − log Σ_k e^(z[n, k] − m_n): no log of a tiny p.
  /// - The loss is a mean over the batch, so the gradient carries the 1/N too.
  ///
  /// Reference solution, for after your attempt: `softmaxCrossEntropy` in Sources/CNN/Losses/SoftmaxCrossEntropy.swift.
  static func softmaxCrossEntropy(logits: Tensor, labels: [Int]) throws -> (loss: Float, gradLogits: Tensor) {
    throw NotWrittenYet("YourCode.softmaxCrossEntropy")
  }
}
