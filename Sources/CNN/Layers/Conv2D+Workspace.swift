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

  /// Floats held in all buffers of all threads (what `Conv2D.forwardWorkspaceCount` predicts).
  var floatCount: Int { capacities.joined().reduce(0, +) }

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

// MARK: - How much scratch each algorithm's forward pass takes

extension Conv2D {
  /// The scratch memory, in Floats, that one forward pass of `algorithm` allocates beyond its
  /// input, weight and output, for an input of shape (N, C, H, W) and a weight (O, C, K, K); nil
  /// where the algorithm does not apply (Winograd away from 3x3 at stride 1). `.automatic` counts
  /// the algorithm it would choose. The forward functions size their buffers with the same
  /// helpers, so a page that quotes this number cannot disagree with the kernel it describes.
  public static func forwardWorkspaceCount(
    _ algorithm: ConvolutionAlgorithm, input: [Int], weight: [Int], stride: Int, padding: Int
  ) throws -> Int? {
    let g = try ConvolutionGeometry(input: input, weight: weight, bias: nil, stride: stride, padding: padding)
    switch algorithm {
    case .automatic:
      let chosen = automaticAlgorithm(
        inChannels: g.c, outChannels: g.o, kernelSize: g.k, stride: g.s, height: g.h, width: g.w)
      return try forwardWorkspaceCount(chosen, input: input, weight: weight, stride: stride, padding: padding)
    case .direct:
      return 0
    case .im2col:
      return forwardBatchThreads(g) * im2colForwardScratch(g).reduce(0, +)
    case .winograd:
      guard winogradApplies(kernelSize: g.k, stride: g.s) else { return nil }
      return 16 * g.o * g.c + forwardBatchThreads(g) * winogradForwardScratch(g).reduce(0, +)
    case .fft:
      let scratch = fftForwardScratch(g)
      return scratch.kernelSpectra + min(kernelThreadCount, g.n) * scratch.perThread.reduce(0, +)
    }
  }

  /// Threads the im2col and Winograd forward passes split the batch over: two for a batch of two
  /// or more; a single image gives both threads to its GEMMs instead.
  static func forwardBatchThreads(_ g: ConvolutionGeometry) -> Int { g.n >= 2 ? kernelThreadCount : 1 }

  /// Winograd's per-thread buffers: the zero-padded image (C, P, P′), the transformed tiles
  /// V (16, C, tiles) and the products M (16, O, tiles), with ⌈H′/2⌉ x ⌈W′/2⌉ tiles and the image
  /// padded to 2 · tiles + 2 on each side so that every 4x4 tile lies inside it.
  /// In `WinogradScratch`'s slot order.
  static func winogradForwardScratch(_ g: ConvolutionGeometry) -> [Int] {
    let tiling = WinogradTiling(g)
    return WinogradScratch.allCases.map { $0.count(g, tiling) }
  }
}
