// The GEMM workload: C = A·B for square Float32 matrices, in GFLOP/s (2·n³ FLOP per product),
// on one thread and on two, through the library's `gemm` (Matmul+Blocked.swift).

import CNN

extension BenchmarkSuite {
  func runGEMM() {
    log("GEMM: C = A·B, n x n, Float32")
    var generator = SeededGenerator(seed: options.seed)
    for n in options.gemmSizes {
      let a = (0..<n * n).map { _ in Float.random(in: -1...1, using: &generator) }
      let b = (0..<n * n).map { _ in Float.random(in: -1...1, using: &generator) }
      var c = [Float](repeating: 0, count: n * n)
      let flop = 2 * Double(n) * Double(n) * Double(n)
      for threads in [1, 2] {
        let measurement = a.withUnsafeBufferPointer { a in
          b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
              Benchmark(repetitions: options.repetitions).measure {
                gemm(transposeA: false, transposeB: false, m: n, n: n, k: n,
                     a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!,
                     accumulate: false, maxThreads: threads)
              }
            }
          }
        }
        let rate = measurement.rate(work: flop / 1e9)
        record("gemm.\(n).t\(threads).gflops", rate)
      }
    }
  }
}
