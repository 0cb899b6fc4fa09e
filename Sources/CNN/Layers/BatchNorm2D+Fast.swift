// Vectorised per-plane sums for BatchNorm2D's statistics and backward pass. A Double accumulator
// in a scalar loop is one dependent add per element (latency-bound, never vectorised); here each
// plane is summed with two 8-lane Float accumulators and only the plane totals go into Double.
// The loops in BatchNorm2D.swift read the same as before with these in place of their inner loops.

/// Σ x[i] over `count` floats; each of the 16 lanes sums count/16 values in Float.
@inline(__always)
func planeSum(_ x: UnsafePointer<Float>, count: Int) -> Double {
  typealias Vector = SIMD8<Float>
  var s0 = Vector(), s1 = Vector()
  let raw = UnsafeRawPointer(x)
  var i = 0
  while i + 16 <= count {
    s0 += raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
    s1 += raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: Vector.self)
    i += 16
  }
  var total = Double((s0 + s1).sum())
  while i < count { total += Double(x[i]); i += 1 }
  return total
}

/// Σ (x[i] − mean)² over `count` floats (the second pass of the two-pass variance).
@inline(__always)
func planeSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Double {
  typealias Vector = SIMD8<Float>
  var s0 = Vector(), s1 = Vector()
  let mu = Vector(repeating: mean)
  let raw = UnsafeRawPointer(x)
  var i = 0
  while i + 16 <= count {
    let d0 = raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self) - mu
    let d1 = raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: Vector.self) - mu
    s0 = s0.addingProduct(d0, d0)
    s1 = s1.addingProduct(d1, d1)
    i += 16
  }
  var total = Double((s0 + s1).sum())
  while i < count {
    let d = Double(x[i]) - Double(mean)
    total += d * d
    i += 1
  }
  return total
}

/// (Σ g[i], Σ g[i]·h[i]) over `count` floats: BatchNorm2D.backward's two reductions in one pass.
@inline(__always)
func planeSumAndDot(_ g: UnsafePointer<Float>, _ h: UnsafePointer<Float>, count: Int) -> (sum: Double, dot: Double) {
  typealias Vector = SIMD8<Float>
  var s0 = Vector(), s1 = Vector(), d0 = Vector(), d1 = Vector()
  let rawG = UnsafeRawPointer(g), rawH = UnsafeRawPointer(h)
  var i = 0
  while i + 16 <= count {
    let g0 = rawG.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
    let g1 = rawG.loadUnaligned(fromByteOffset: i * 4 + 32, as: Vector.self)
    s0 += g0
    s1 += g1
    d0 = d0.addingProduct(g0, rawH.loadUnaligned(fromByteOffset: i * 4, as: Vector.self))
    d1 = d1.addingProduct(g1, rawH.loadUnaligned(fromByteOffset: i * 4 + 32, as: Vector.self))
    i += 16
  }
  var sum = Double((s0 + s1).sum()), dot = Double((d0 + d1).sum())
  while i < count {
    sum += Double(g[i])
    dot += Double(g[i]) * Double(h[i])
    i += 1
  }
  return (sum, dot)
}
