// Mini-batches: a seeded shuffle of the example indices for every epoch, cut into batches,
// and `gather`, which copies the chosen examples into one contiguous batch tensor.

/// The batches of one dataset, reshuffled per epoch with a seed so every run repeats exactly.
///
/// The order of epoch e depends only on (seed, e), not on how many epochs were drawn before,
/// so resuming at epoch e reproduces the same batches. Each epoch draws from its own stream
/// `SeededGenerator(seed:stream:)`, so consecutive epochs' orders are as unrelated as two
/// independent shuffles (`RandomStreamTests` measures it). The last batch may be smaller.
public struct MiniBatches: Sendable {
  public let count: Int
  public let batchSize: Int
  public let shuffles: Bool
  public let seed: UInt64

  /// Throws a `CNNError` for a negative count or a batch size below 1.
  public init(count: Int, batchSize: Int, shuffles: Bool = true, seed: UInt64) throws {
    guard batchSize >= 1 else { throw CNNError("MiniBatches: batchSize must be at least 1, got \(batchSize)") }
    guard count >= 0 else { throw CNNError("MiniBatches: count must be 0 or more, got \(count)") }
    self.count = count
    self.batchSize = batchSize
    self.shuffles = shuffles
    self.seed = seed
  }

  /// ⌈count / batchSize⌉.
  public var batchCount: Int { (count + batchSize - 1) / batchSize }

  /// The stream that shuffles `epoch`: the epoch number with "SHUF" in the top 32 bits, so the
  /// shuffles never reuse a stream a chapter draws with `page.generator(stream: k)` for small k,
  /// even when the trainer is given the page's own seed.
  static func shuffleStream(epoch: Int) -> UInt64 {
    0x5348_5546_0000_0000 | UInt64(truncatingIfNeeded: epoch) & 0xFFFF_FFFF
  }

  /// The example indices of every batch of `epoch`, in order.
  public func batches(epoch: Int) -> [[Int]] {
    var order = Array(0..<count)
    if shuffles {
      var generator = SeededGenerator(seed: seed, stream: MiniBatches.shuffleStream(epoch: epoch))
      order = order.permuted(using: &generator)
    }
    return stride(from: 0, to: count, by: batchSize).map { start in
      Array(order[start..<min(start + batchSize, count)])
    }
  }
}

/// The examples at `indices` along the first dimension, copied into one tensor (N′, …).
/// Throws a `CNNError` for a tensor without a batch dimension or an index out of range.
public func gather(images: Tensor, indices: [Int]) throws -> Tensor {
  guard images.rank >= 1 else { throw CNNError("gather: needs a batch dimension, got shape \(images.shape)") }
  if let bad = indices.first(where: { $0 < 0 || $0 >= images.shape[0] }) {
    throw CNNError("gather: index \(bad) is out of range 0..<\(images.shape[0])")
  }
  let itemSize = images.count / max(images.shape[0], 1)
  var shape = images.shape
  shape[0] = indices.count
  var batch = Tensor(zeros: shape)
  images.withUnsafeBufferPointer { source in
    batch.withUnsafeMutableBufferPointer { target in
      for (row, index) in indices.enumerated() {
        let from = source.baseAddress! + index * itemSize
        (target.baseAddress! + row * itemSize).update(from: from, count: itemSize)
      }
    }
  }
  return batch
}
