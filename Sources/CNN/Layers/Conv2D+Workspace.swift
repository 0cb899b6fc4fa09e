// Scratch memory a Conv2D keeps between calls (im2col columns, Winograd transforms, per-thread
// gradient sums), so the training loop does not allocate and page-fault fresh buffers per batch.

/// Per-thread scratch buffers, grown on demand and kept until the owner is freed.
///
/// `prepare` runs on the calling thread before the parallel section; inside it, thread t only
/// reads `buffer(slot, thread: t)`, whose memory no other thread touches (swift-numerics.md
/// rules 8-9). Contents are NOT preserved or zeroed between calls. One workspace serves one call
/// at a time, as a layer does.
final class ConvolutionWorkspace: @unchecked Sendable {
  private var buffers: [[UnsafeMutablePointer<Float>]] = []  // [thread][slot]
  private var capacities: [[Int]] = []

  init() {}

  deinit {
    for threadBuffers in buffers { for buffer in threadBuffers { buffer.deallocate() } }
  }

  /// Ensures every thread in 0..<threadCount has one buffer per entry of `counts`, each with at
  /// least that many Floats.
  func prepare(threadCount: Int, counts: [Int]) {
    while buffers.count < threadCount { buffers.append([]); capacities.append([]) }
    for thread in 0..<threadCount {
      for (slot, count) in counts.enumerated() {
        let needed = max(count, 1)
        if slot < buffers[thread].count {
          if capacities[thread][slot] >= needed { continue }
          buffers[thread][slot].deallocate()
          buffers[thread][slot] = .allocate(capacity: needed)
          capacities[thread][slot] = needed
        } else {
          buffers[thread].append(.allocate(capacity: needed))
          capacities[thread].append(needed)
        }
      }
    }
  }

  /// The buffer `slot` of `thread`, valid after `prepare` covered them.
  func buffer(_ slot: Int, thread: Int) -> UnsafeMutablePointer<Float> { buffers[thread][slot] }
}

// MARK: - Named slots

extension ConvolutionWorkspace {
  /// Ensures every thread in 0..<threadCount has one buffer per case of `Slot`, buffer `slot`
  /// holding at least `count(slot)` Floats. `Slot` is an algorithm's enum of its scratch buffers
  /// (`Im2colScratch`, `WinogradScratch`): its cases name the buffers, so no slot number is
  /// written anywhere. Algorithms sharing one workspace share the slots, not the contents.
  func prepare<Slot: CaseIterable & RawRepresentable>(
    threadCount: Int, _ count: (Slot) -> Int
  ) where Slot.RawValue == Int {
    var counts = [Int](repeating: 0, count: Slot.allCases.map { $0.rawValue + 1 }.max() ?? 0)
    for slot in Slot.allCases { counts[slot.rawValue] = count(slot) }
    prepare(threadCount: threadCount, counts: counts)
  }

  /// The buffer `slot` of `thread`, valid after `prepare` covered them.
  func buffer<Slot: RawRepresentable>(_ slot: Slot, thread: Int) -> UnsafeMutablePointer<Float>
  where Slot.RawValue == Int {
    buffer(slot.rawValue, thread: thread)
  }
}
