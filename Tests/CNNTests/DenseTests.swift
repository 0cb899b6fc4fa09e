import Testing
@testable import CNN

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
