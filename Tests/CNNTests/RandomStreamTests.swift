// Random streams must be independent, not one sequence shifted. The old derivation
// `SeededGenerator(seed: seed &+ k &* γ)` (γ = SplitMix64's increment) made stream k stream 0
// advanced by k draws; `oldDerivationOverlaps` shows the overlap statistic catches exactly that.

import Testing
import CNN

private let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

private func draws(_ generator: SeededGenerator, _ count: Int) -> [UInt64] {
  var generator = generator
  return (0..<count).map { _ in generator.next() }
}

/// How many of `a`'s draws appear anywhere in `b` (for independent 64-bit streams of about a
/// thousand draws, the chance of even one shared value is about 10⁻¹³).
private func sharedValues(_ a: [UInt64], _ b: [UInt64]) -> Int {
  let values = Set(b)
  return a.filter(values.contains).count
}

@Test("streams of one seed share no draws, at any shift up to 64", arguments: [0, 42, 7, UInt64.max])
func streamsShareNoDraws(seed: UInt64) {
  let length = 1000, maxShift = 64
  let streams = (0..<16).map { draws(SeededGenerator(seed: seed, stream: UInt64($0)), length + maxShift) }
  for k in 0..<streams.count {
    for j in 0..<streams.count where j != k {
      // Stream k's first 1000 draws against every window of stream j's first 1064: any prefix
      // shared at a shift of 0…64 draws would show up here as a shared value.
      #expect(sharedValues(Array(streams[k].prefix(length)), streams[j]) == 0, "streams \(k) and \(j) of seed \(seed)")
    }
  }
  // The same (seed, stream) repeats exactly, and the plain seed is not one of the streams.
  #expect(draws(SeededGenerator(seed: seed, stream: 3), 10) == draws(SeededGenerator(seed: seed, stream: 3), 10))
  #expect(sharedValues(draws(SeededGenerator(seed: seed), length), streams[0]) == 0)
}

@Test("different seeds with the same stream number share no draws")
func seedsShareNoDraws() {
  for (a, b) in [(UInt64(0), UInt64(1)), (42, 43), (1, 0), (42, 42 &+ 8 &* gamma)] {
    for stream in [UInt64(0), 1, 8] {
      let first = draws(SeededGenerator(seed: a, stream: stream), 1000)
      let second = draws(SeededGenerator(seed: b, stream: stream), 1064)
      #expect(sharedValues(first, second) == 0, "seeds \(a), \(b), stream \(stream)")
    }
  }
  // Swapping seed and stream gives a different generator.
  #expect(sharedValues(draws(SeededGenerator(seed: 5, stream: 9), 1000), draws(SeededGenerator(seed: 9, stream: 5), 1000)) == 0)
}

@Test("the statistic catches the old derivation: stream 8 was stream 0 after 8 draws")
func oldDerivationOverlaps() {
  let old0 = draws(SeededGenerator(seed: 42), 1008)
  let old8 = draws(SeededGenerator(seed: 42 &+ 8 &* gamma), 1000)
  #expect(Array(old0.dropFirst(8)) == old8)
  #expect(sharedValues(old8, old0) == 1000)
}

/// How many examples sit within one slot of where they were in the previous order.
private func examplesNearPreviousSlot(_ previous: [Int], _ next: [Int]) -> Int {
  var slot = [Int](repeating: 0, count: previous.count)
  for (position, example) in previous.enumerated() { slot[example] = position }
  return next.enumerated().filter { abs(slot[$0.element] - $0.offset) <= 1 }.count
}

@Test("consecutive epochs' shuffles of 60,000 examples are as unrelated as independent shuffles")
func epochShufflesAreIndependent() throws {
  // Two independent random permutations of n put an example within one slot of its old position
  // with probability about 3/n: about 3 examples of 60,000 (Poisson, so 20 or more has a
  // probability below 10⁻¹⁰).
  let n = 60_000
  for seed in [UInt64(42), 0, 7] {
    let batches = try MiniBatches(count: n, batchSize: n, seed: seed)
    var previous = batches.batches(epoch: 0)[0]
    for epoch in 1..<4 {
      let order = batches.batches(epoch: epoch)[0]
      #expect(order.sorted() == Array(0..<n))
      let near = examplesNearPreviousSlot(previous, order)
      #expect(near < 20, "seed \(seed), epochs \(epoch - 1) and \(epoch): \(near) examples within one slot")
      previous = order
    }
  }
  // The statistic has power: an order that keeps 1% of the previous one in place (the rest
  // reshuffled) is far above the bound.
  var generator = SeededGenerator(seed: 1, stream: 1)
  let previous = Array(0..<n).permuted(using: &generator)
  var kept = previous
  let moved = Array(0..<n).filter { $0 % 100 != 0 }
  for (slot, example) in zip(moved, moved.map { previous[$0] }.permuted(using: &generator)) { kept[slot] = example }
  #expect(examplesNearPreviousSlot(previous, kept) > 500)
}

@Test("epoch shuffles use streams of their own, apart from a chapter's generator(stream: k)")
func shufflesAvoidChapterStreams() throws {
  // A chapter passes its own seed to the trainer and draws its weights from stream k of the same
  // seed: the shuffles must not replay any of those streams.
  let n = 1000
  let batches = try MiniBatches(count: n, batchSize: n, seed: 42)
  let shuffles = (0..<8).map { batches.batches(epoch: $0)[0] }
  for stream in UInt64(0)..<100 {
    var generator = SeededGenerator(seed: 42, stream: stream)
    let order = Array(0..<n).permuted(using: &generator)
    #expect(!shuffles.contains(order), "stream \(stream)")
  }
}
