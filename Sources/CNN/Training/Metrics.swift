// Classification metrics: accuracy from logits, and the confusion matrix of true vs predicted class.

/// The fraction of rows of (N, M) logits whose largest entry is the label.
public func accuracy(logits: Tensor, labels: [Int]) throws -> Float {
  guard logits.rank == 2 && logits.shape[0] == labels.count else {
    throw CNNError("accuracy: logits of shape \(logits.shape) do not fit \(labels.count) labels")
  }
  guard !labels.isEmpty else { return 0 }
  let correct = zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count
  return Float(correct) / Float(labels.count)
}

/// Counts of (true class, predicted class) pairs: row = truth, column = prediction.
public struct ConfusionMatrix: Sendable, Equatable {
  public let classCount: Int
  /// counts[truth][prediction]
  public private(set) var counts: [[Int]]

  /// Throws a `CNNError` for fewer than 1 class.
  public init(classCount: Int = 10) throws {
    guard classCount >= 1 else { throw CNNError("ConfusionMatrix: classCount must be at least 1, got \(classCount)") }
    self.classCount = classCount
    counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
  }

  /// Adds one pair per example.
  /// Throws a `CNNError` when the counts differ or a class is outside 0..<classCount (nothing is added then).
  public mutating func add(predictions: [Int], labels: [Int]) throws {
    guard predictions.count == labels.count else {
      throw CNNError("ConfusionMatrix.add: \(predictions.count) predictions for \(labels.count) labels")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
      throw CNNError("ConfusionMatrix.add: label \(bad) is outside the classes 0..<\(classCount)")
    }
    if let bad = predictions.first(where: { $0 < 0 || $0 >= classCount }) {
      throw CNNError("ConfusionMatrix.add: prediction \(bad) is outside the classes 0..<\(classCount)")
    }
    for (prediction, label) in zip(predictions, labels) { counts[label][prediction] += 1 }
  }

  /// Adds the argmax of each row of (N, classCount) logits.
  public mutating func add(logits: Tensor, labels: [Int]) throws {
    guard logits.rank == 2 else { throw CNNError("ConfusionMatrix.add: logits must be (N, classes), got shape \(logits.shape)") }
    try add(predictions: logits.argmaxRows(), labels: labels)
  }

  public var total: Int { counts.joined().reduce(0, +) }

  /// The diagonal's share of all counts.
  public var accuracy: Float {
    total == 0 ? 0 : Float((0..<classCount).map { counts[$0][$0] }.reduce(0, +)) / Float(total)
  }

  /// Per true class, the share predicted correctly (recall); 0 for a class never seen.
  public var recall: [Float] {
    counts.enumerated().map { c, row in
      let rowTotal = row.reduce(0, +)
      return rowTotal == 0 ? 0 : Float(row[c]) / Float(rowTotal)
    }
  }

  /// The off-diagonal cells, most frequent first: which digit is taken for which.
  public func mostConfused(_ limit: Int = 5) -> [(truth: Int, prediction: Int, count: Int)] {
    var cells: [(truth: Int, prediction: Int, count: Int)] = []
    for t in 0..<classCount { for p in 0..<classCount where t != p && counts[t][p] > 0 { cells.append((t, p, counts[t][p])) } }
    return Array(cells.sorted { $0.count != $1.count ? $0.count > $1.count : ($0.truth, $0.prediction) < ($1.truth, $1.prediction) }.prefix(limit))
  }
}
