// Softmax and cross-entropy, fused: the gradient of the pair is simply (probabilities − one-hot)/N,
// and computing it from the logits directly keeps the exponentials from overflowing.

import Foundation

/// Softmax of each row of an (N, M) tensor of logits.
///
///     softmax(z)_j = e^(z_j − max z) / Σ_k e^(z_k − max z)
///
/// Subtracting the row max changes nothing mathematically and keeps every exponent ≤ 0, so
/// `expf` cannot overflow. Each output row sums to 1.
public func softmax(_ logits: Tensor) -> Tensor {
  guard logits.rank == 2 else { fatalError("softmax needs (N, M) logits, got \(logits.shape)") }
  let (rows, columns) = (logits.shape[0], logits.shape[1])
  var probabilities = logits
  probabilities.withUnsafeMutableBufferPointer { p in
    for row in 0..<rows {
      let base = row * columns
      var largest = -Float.infinity
      for j in 0..<columns { largest = max(largest, p[base + j]) }
      var total: Float = 0
      for j in 0..<columns {
        p[base + j] = expf(p[base + j] - largest)
        total += p[base + j]
      }
      let inverse = 1 / total
      for j in 0..<columns { p[base + j] *= inverse }
    }
  }
  return probabilities
}

/// Mean cross-entropy of softmax(logits) against integer labels, and its gradient.
///
///     loss = −(1/N) Σ_n log softmax(logits_n)_{label_n}
///          = (1/N) Σ_n (log Σ_k e^(z_nk − max z_n) − (z_n,label_n − max z_n))
///     ∂loss/∂logits[n, j] = (softmax(logits_n)_j − [j == label_n]) / N
///
/// Shapes: logits (N, M), labels N integers in 0..<M → loss (scalar), gradLogits (N, M).
/// Throws when the label count or a label value does not fit the logits, when there are no logits
/// (the mean of nothing is not 0), or when a logit is NaN or infinite.
public func softmaxCrossEntropy(logits: Tensor, labels: [Int]) throws -> (loss: Float, gradLogits: Tensor) {
  guard logits.rank == 2, logits.shape[0] == labels.count else {
    throw CNNError("softmaxCrossEntropy: logits of shape \(logits.shape) do not fit \(labels.count) labels")
  }
  let (rows, columns) = (logits.shape[0], logits.shape[1])
  guard rows > 0, columns > 0 else {
    throw CNNError("softmaxCrossEntropy: logits of shape \(logits.shape) are empty; the loss needs at least one row and one class")
  }
  if let index = logits.firstNonFiniteIndex {
    throw CNNError("softmaxCrossEntropy: logit \(logits.scalars[index]) in row \(index / columns) is not a finite number")
  }
  if let bad = labels.first(where: { $0 < 0 || $0 >= columns }) {
    throw CNNError("softmaxCrossEntropy: label \(bad) is outside 0..<\(columns)")
  }
  var gradLogits = logits
  var total: Double = 0
  let inverseCount = 1 / Float(rows)
  gradLogits.withUnsafeMutableBufferPointer { p in
    for row in 0..<rows {
      let base = row * columns
      var largest = -Float.infinity
      for j in 0..<columns { largest = max(largest, p[base + j]) }
      var sum: Float = 0
      for j in 0..<columns { sum += expf(p[base + j] - largest) }
      // log-sum-exp form: never takes the log of a probability that underflowed to 0.
      total += Double(logf(sum)) - Double(p[base + labels[row]] - largest)
      let inverse = 1 / sum
      for j in 0..<columns { p[base + j] = expf(p[base + j] - largest) * inverse * inverseCount }
      p[base + labels[row]] -= inverseCount
    }
  }
  return (Float(total / Double(rows)), gradLogits)
}
