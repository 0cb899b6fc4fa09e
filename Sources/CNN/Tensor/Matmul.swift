// Matrix multiplication (GEMM), the workhorse under Dense and im2col convolution.
// `naiveGemm` is the readable reference: three loops straight from the definition.
// `gemm` is the entry point every layer calls; it dispatches to the packed, blocked SIMD kernel in
// Matmul+Blocked.swift, which the tests hold equal to `naiveGemm`.

/// The reference GEMM, straight from the definition.
///
///     C[i, j] = Σ_p op(A)[i, p] · op(B)[p, j]   (+ C[i, j] when `accumulate`)
///
/// Shapes: op(A) (M, K), op(B) (K, N), C (M, N), all row-major. op(A) = Aᵀ when `transposeA`,
/// in which case A is stored (K, M); likewise B is stored (N, K) when `transposeB`.
public func naiveGemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
  a: [Float], b: [Float], c: inout [Float], accumulate: Bool
) {
  guard a.count >= m * k && b.count >= k * n && c.count >= m * n else { fatalError("naiveGemm: buffers too small") }
  for i in 0..<m {
    for j in 0..<n {
      var sum: Float = 0
      for p in 0..<k {
        let aValue = transposeA ? a[p * m + i] : a[i * k + p]
        let bValue = transposeB ? b[j * k + p] : b[p * n + j]
        sum += aValue * bValue
      }
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum
    }
  }
}

/// C = op(A) · op(B) (+ C when `accumulate`), on arrays. See `naiveGemm` for the shapes and the
/// pointer version below for `maxThreads`.
public func gemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
  a: [Float], b: [Float], c: inout [Float], accumulate: Bool, maxThreads: Int = 2
) {
  guard a.count >= m * k && b.count >= k * n && c.count >= m * n else { fatalError("gemm: buffers too small") }
  a.withUnsafeBufferPointer { a in
    b.withUnsafeBufferPointer { b in
      c.withUnsafeMutableBufferPointer { c in
        gemm(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
          a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!, accumulate: accumulate,
          maxThreads: maxThreads)
      }
    }
  }
}

/// C = op(A) · op(B) (+ C when `accumulate`), on pointers to row-major, densely packed matrices.
/// Uses up to `maxThreads` threads (large products only); callers that already run one thread per
/// image pass 1.
public func gemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
  a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
  accumulate: Bool, maxThreads: Int = 2
) {
  if m == 0 || n == 0 { return }
  if !accumulate { c.update(repeating: 0, count: m * n) }
  if k == 0 { return }
  blockedGemm(
    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, b: b, c: c,
    maxThreads: maxThreads)
}
