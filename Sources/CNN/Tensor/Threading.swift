// Splitting a kernel's work over this machine's two cores: disjoint stripes of one index range,
// one stripe per thread, each thread with its own scratch memory (swift-numerics.md rules 8-9).
// Used by the GEMM, the convolutions, pooling and batch norm.

import Dispatch

/// A value handed to worker threads that the compiler cannot prove safe to share, such as a raw
/// pointer. Safe here because every thread writes a disjoint part of the memory it points to.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// The number of worker threads the kernels use: this machine has two cores.
let kernelThreadCount = 2

/// The threads for an elementwise pass (pooling, batch norm) over `elementCount` elements:
/// `kernelThreadCount` from about 256 K elements up, one below, where starting the second thread
/// costs more than it saves.
func threadCount(forElements elementCount: Int) -> Int {
  elementCount >= 1 << 18 ? kernelThreadCount : 1
}

/// Runs `body(stripe, threadIndex)` for `threadCount` contiguous, disjoint stripes covering
/// `0..<count`, in parallel when `threadCount > 1`. Stripes differ in length by at most one.
func forEachStripe(of count: Int, threadCount: Int, _ body: @Sendable (Range<Int>, Int) -> Void) {
  let threads = max(1, min(threadCount, count))
  if threads == 1 {
    body(0..<count, 0)
    return
  }
  DispatchQueue.concurrentPerform(iterations: threads) { t in
    body((t * count / threads)..<((t + 1) * count / threads), t)
  }
}
