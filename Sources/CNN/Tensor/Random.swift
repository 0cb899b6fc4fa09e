// Seeded randomness: a value-type generator passed `inout`, never a global, so every run with the
// same seed repeats bit for bit (debug or release).

/// SplitMix64: a tiny, fast, well-mixed 64-bit generator (Steele, Lea, Flood 2014).
///
/// A value type: copying it forks the stream, and a function that draws numbers takes it `inout`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator whose whole stream is fixed by `seed`.
  public init(seed: UInt64) { state = seed }

  /// Stream `stream` of `seed`: one of 2⁶⁴ generators per seed, each independent of the others.
  ///
  /// Why a hash and not `seed + stream · γ`: SplitMix64's state steps by γ = 0x9E3779B97F4A7C15
  /// on every draw, so the generator seeded with `seed + k·γ` *is* the generator seeded with
  /// `seed`, advanced by k draws. Streams derived that way overlap completely, shifted by k (and
  /// an epoch's shuffle would be the previous epoch's shuffle moved by one draw). Here the seed and
  /// the stream each go through murmur3's 64-bit finalizer (a bijection with full avalanche: every
  /// input bit flips every output bit with probability about ½), the two are combined, and the
  /// result is mixed once more into the starting state. Distinct streams of one seed get distinct
  /// starting states, scattered over the 2⁶⁴ cycle, so two streams share a run of n draws only
  /// with probability about 2n / 2⁶⁴. `Tests/CNNTests/RandomStreamTests.swift` holds this.
  public init(seed: UInt64, stream: UInt64) {
    // Different offsets for the two inputs, so that (x, y) and (y, x) start apart.
    let mixedSeed = SeededGenerator.mix(seed &+ 0x6A09_E667_F3BC_C909)  // √2's fraction bits
    let mixedStream = SeededGenerator.mix(stream &+ 0xBB67_AE85_84CA_A73B)  // √3's fraction bits
    state = SeededGenerator.mix(mixedSeed ^ (mixedStream &* 0xD1B5_4A32_D192_ED03))
  }

  /// murmur3's fmix64 finalizer: a bijection of UInt64 in which every input bit affects every
  /// output bit (Appleby, MurmurHash3). Its constants differ from the output function of `next()`.
  @inline(__always) static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
    z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
    return z ^ (z >> 33)
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform Float in [0, 1) with 24 random bits.
  public mutating func nextUniform() -> Float {
    Float(next() >> 40) * (1.0 / Float(1 << 24))
  }

  /// A standard normal sample (Box–Muller, one of the pair).
  public mutating func nextNormal() -> Float {
    // 1 − u keeps the logarithm's argument in (0, 1].
    let u1 = 1 - Double(next() >> 11) * (1.0 / Double(1 << 53))
    let u2 = Double(next() >> 11) * (1.0 / Double(1 << 53))
    return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
  }
}

import Foundation

@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }

extension Tensor {
  /// Samples from N(mean, standardDeviation²).
  public init(
    randomNormal shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
    using generator: inout SeededGenerator
  ) {
    let count = Tensor.requireElementCount(of: shape)
    var values = [Float](repeating: 0, count: count)
    for i in 0..<count { values[i] = mean + standardDeviation * generator.nextNormal() }
    self.init(shape: shape, scalars: values)
  }

  /// Samples uniformly from [lowerBound, upperBound).
  public init(
    randomUniform shape: [Int], in range: ClosedRange<Float> = 0...1,
    using generator: inout SeededGenerator
  ) {
    let count = Tensor.requireElementCount(of: shape)
    var values = [Float](repeating: 0, count: count)
    let width = range.upperBound - range.lowerBound
    for i in 0..<count { values[i] = range.lowerBound + width * generator.nextUniform() }
    self.init(shape: shape, scalars: values)
  }

  /// He (Kaiming) normal initialisation for layers followed by ReLU: N(0, 2 / fanIn).
  ///
  /// - Paper: He et al., "Delving Deep into Rectifiers", 2015, https://arxiv.org/abs/1502.01852
  public init(heNormal shape: [Int], fanIn: Int, using generator: inout SeededGenerator) {
    self.init(
      randomNormal: shape, standardDeviation: (2 / Float(fanIn)).squareRoot(), using: &generator)
  }

  /// Xavier (Glorot) uniform initialisation: U(−a, a), a = √(6 / (fanIn + fanOut)).
  ///
  /// - Paper: Glorot & Bengio, "Understanding the difficulty of training deep feedforward
  ///   neural networks", 2010.
  public init(
    xavierUniform shape: [Int], fanIn: Int, fanOut: Int, using generator: inout SeededGenerator
  ) {
    let a = (6 / Float(fanIn + fanOut)).squareRoot()
    self.init(randomUniform: shape, in: -a...a, using: &generator)
  }
}

extension Array {
  /// The elements in a seeded random order (Fisher–Yates). Unlike the standard library's `shuffled(using:)`, whose algorithm may change between releases, this order is fixed by the seed forever.
  public func permuted(using generator: inout SeededGenerator) -> [Element] {
    var result = self
    if result.count < 2 { return result }
    for i in stride(from: result.count - 1, to: 0, by: -1) {
      let j = Int(generator.next() % UInt64(i + 1))
      result.swapAt(i, j)
    }
    return result
  }
}
