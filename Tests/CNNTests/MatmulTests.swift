// GEMM: the packed, blocked SIMD kernel behind `gemm` against the naive reference, over odd sizes
// (ragged edge tiles), all four transpose cases, and accumulate on and off.

import Testing
@testable import CNN

/// Sizes chosen to exercise the edges: below one 6 x 16 tile, ragged tiles, more than one
/// kc = 256 slice of K, more than one mc = 120 block of rows, large enough for two threads, and
/// (245, 2080, 40) a second nc = 2048 panel of B with ragged edges, on two threads.
let gemmSizes: [(m: Int, n: Int, k: Int)] = [
  (1, 1, 1), (7, 5, 9), (6, 16, 3), (13, 33, 17), (37, 29, 300), (125, 47, 61), (250, 270, 259), (61, 700, 520), (245, 2080, 40),
]

@Test("blocked gemm equals naiveGemm over odd sizes, every transpose case, accumulate on and off",
      arguments: [(false, false), (true, false), (false, true), (true, true)])
func blockedGemmMatchesNaive(_ transposes: (Bool, Bool)) {
  let (transposeA, transposeB) = transposes
  var rng = SeededGenerator(seed: 7)
  for (m, n, k) in gemmSizes {
    for accumulate in [false, true] {
      let a = Tensor(randomNormal: [m * k], using: &rng).scalars
      let b = Tensor(randomNormal: [k * n], using: &rng).scalars
      let start = Tensor(randomNormal: [m * n], using: &rng).scalars
      var expected = start, actual = start
      naiveGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: accumulate)
      gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, b: b, c: &actual, accumulate: accumulate)
      // Sums of k products of N(0, 1) values have size ~√k; a different summation order changes
      // them by a few ulps of the partial sums, ~1e-6·k at most. 1e-5·k is far below any wrong term.
      let tolerance = 1e-5 * Float(k) + 1e-5
      let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
      #expect(worst <= tolerance, "m \(m) n \(n) k \(k) Aᵀ \(transposeA) Bᵀ \(transposeB) accumulate \(accumulate): max diff \(worst)")
    }
  }
}

@Test("gemm on one thread equals gemm on two")
func gemmThreadCountsAgree() {
  var rng = SeededGenerator(seed: 8)
  let (m, n, k) = (300, 290, 270)
  let a = Tensor(randomNormal: [m * k], using: &rng).scalars
  let b = Tensor(randomNormal: [k * n], using: &rng).scalars
  var one = [Float](repeating: 0, count: m * n), two = one
  a.withUnsafeBufferPointer { a in
    b.withUnsafeBufferPointer { b in
      one.withUnsafeMutableBufferPointer { c in
        gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!, accumulate: false, maxThreads: 1)
      }
      two.withUnsafeMutableBufferPointer { c in
        gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!, accumulate: false, maxThreads: 2)
      }
    }
  }
  // Each element is computed by the same code in the same order on either thread: bit-identical.
  #expect(one == two)
}

@Test("gemm equals naiveGemm")
func gemmMatchesNaive() {
  var rng = SeededGenerator(seed: 1)
  for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
    let (m, n, k) = (7, 5, 9)
    let a = Tensor(randomNormal: [m * k], using: &rng).scalars
    let b = Tensor(randomNormal: [k * n], using: &rng).scalars
    var c1 = [Float](repeating: 0, count: m * n), c2 = c1
    naiveGemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: a, b: b, c: &c1, accumulate: false)
    gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: a, b: b, c: &c2, accumulate: false)
    for (x, y) in zip(c1, c2) { #expect(abs(x - y) < 1e-4) }
  }
}
