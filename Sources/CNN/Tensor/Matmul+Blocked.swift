// The fast GEMM behind `gemm(...)`: Goto/BLIS-style packing and cache blocking around a
// register-tiled SIMD micro-kernel, split over two threads for large products.
// `naiveGemm` (Matmul.swift) is the reference it is tested against.

/// Register tile: the micro-kernel keeps a 6 x 16 block of C in 12 `SIMD8<Float>` accumulators,
/// 12 of AVX2's 16 vector registers; two more hold a row of B and one a broadcast element of A.
/// Each step of its loop does 12 fused multiply-adds (192 FLOP) for 2 loads of B and 6 of A.
/// (With AVX2 and no AVX-512, 8-lane vectors map to one register; 16-lane ones would need two.)
private let tileRows = 6  // MR
private let tileColumns = 16  // NR
/// Cache blocks: a kc x NR sliver of packed B (16 KB) stays in L1 while the micro-kernel sweeps
/// an mc x kc block of packed A (120 KB) that stays in L2; a kc x nc panel of B (2 MB) sits in L3.
private let blockDepth = 256  // kc
private let blockRows = 120  // mc, a multiple of MR
private let blockColumns = 2048  // nc, a multiple of NR

/// Products smaller than this many multiply-adds run on one thread: below about 256³, starting
/// a second thread costs more than it saves (swift-numerics.md rule 8).
private let parallelThreshold = 256 * 256 * 256

/// A matrix operand read through strides: element (row, column) is at `base[row·rowStride + column·columnStride]`.
/// A row-major matrix has (columns, 1); its transpose is the same memory with (1, columns).
private struct StridedMatrix {
  var base: UnsafePointer<Float>
  let rowStride: Int
  let columnStride: Int
  @inline(__always) func offsetBy(row: Int, column: Int) -> StridedMatrix {
    StridedMatrix(base: base + row * rowStride + column * columnStride, rowStride: rowStride, columnStride: columnStride)
  }
}

/// C += op(A) · op(B) with the packed, blocked, SIMD kernel; C is row-major (M, N), densely packed.
/// Large products are split into two stripes of C (columns, or rows when C is tall and narrow),
/// each computed by its own thread with its own packing buffers.
func blockedGemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
  a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, maxThreads: Int
) {
  let matrixA = transposeA ? StridedMatrix(base: a, rowStride: 1, columnStride: m) : StridedMatrix(base: a, rowStride: k, columnStride: 1)
  let matrixB = transposeB ? StridedMatrix(base: b, rowStride: 1, columnStride: k) : StridedMatrix(base: b, rowStride: n, columnStride: 1)
  let splitsColumns = n >= m
  let extent = splitsColumns ? n : m
  let unit = splitsColumns ? tileColumns : tileRows
  let threads = (maxThreads >= 2 && m * n * k >= parallelThreshold && extent >= 2 * unit) ? 2 : 1
  if threads == 1 {
    gemmSingleThread(m: m, n: n, k: k, a: matrixA, b: matrixB, c: c, ldc: n)
    return
  }
  // Split at a multiple of the tile so that neither thread gets a ragged edge in the middle.
  let split = (extent / 2 + unit - 1) / unit * unit
  let operands = UncheckedSendable((matrixA, matrixB, c))
  forEachStripe(of: 2, threadCount: 2) { stripes, _ in
    let (matrixA, matrixB, c) = operands.value
    for stripe in stripes {
      let range = stripe == 0 ? 0..<split : split..<extent
      if splitsColumns {
        gemmSingleThread(
          m: m, n: range.count, k: k, a: matrixA, b: matrixB.offsetBy(row: 0, column: range.lowerBound),
          c: c + range.lowerBound, ldc: n)
      } else {
        gemmSingleThread(
          m: range.count, n: n, k: k, a: matrixA.offsetBy(row: range.lowerBound, column: 0), b: matrixB,
          c: c + range.lowerBound * n, ldc: n)
      }
    }
  }
}

/// C (M, N, row stride ldc) += A (M, K) · B (K, N) on the calling thread.
///
/// Loop nest (Goto): for each nc-wide panel of B columns, for each kc-deep slice of K, pack the
/// kc x nc panel of B; for each mc-tall block of A rows, pack the mc x kc block of A; then sweep
/// the block with 6 x 16 micro-kernel tiles. Tiles that stick out of C go through a 6 x 16 scratch tile.
private func gemmSingleThread(
  m: Int, n: Int, k: Int, a: StridedMatrix, b: StridedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  if m == 0 || n == 0 || k == 0 { return }
  let depth = min(blockDepth, k)
  let panelWidth = min(blockColumns, roundUp(n, to: tileColumns))
  let blockHeight = min(blockRows, roundUp(m, to: tileRows))
  // One allocation for both packed operands and the edge tile, 64-byte aligned so that SIMD loads
  // of packed B are aligned (every B sliver is a multiple of 16 floats = 64 bytes long).
  let sizeB = depth * panelWidth, sizeA = blockHeight * depth, sizeTile = tileRows * tileColumns
  let raw = UnsafeMutableRawPointer.allocate(byteCount: (sizeB + sizeA + sizeTile) * 4, alignment: 64)
  defer { raw.deallocate() }
  let packedB = raw.bindMemory(to: Float.self, capacity: sizeB + sizeA + sizeTile)
  let packedA = packedB + sizeB
  let edgeTile = packedA + sizeA

  for jc in stride(from: 0, to: n, by: blockColumns) {
    let nc = min(blockColumns, n - jc)
    for pc in stride(from: 0, to: k, by: blockDepth) {
      let kc = min(blockDepth, k - pc)
      packB(b.offsetBy(row: pc, column: jc), depth: kc, width: nc, into: packedB)
      for ic in stride(from: 0, to: m, by: blockRows) {
        let mc = min(blockRows, m - ic)
        packA(a.offsetBy(row: ic, column: pc), height: mc, depth: kc, into: packedA)
        for jr in stride(from: 0, to: nc, by: tileColumns) {
          let nr = min(tileColumns, nc - jr)
          let sliverB = UnsafePointer(packedB + jr * kc)
          for ir in stride(from: 0, to: mc, by: tileRows) {
            let mr = min(tileRows, mc - ir)
            let sliverA = UnsafePointer(packedA + ir * kc)
            let tile = c + (ic + ir) * ldc + jc + jr
            if mr == tileRows && nr == tileColumns {
              microKernel(depth: kc, a: sliverA, b: sliverB, c: tile, ldc: ldc)
            } else {
              // The packed operands are zero beyond the edge, so the full tile is computed into
              // scratch and only its valid mr x nr corner is added to C.
              edgeTile.update(repeating: 0, count: sizeTile)
              microKernel(depth: kc, a: sliverA, b: sliverB, c: edgeTile, ldc: tileColumns)
              for row in 0..<mr {
                for column in 0..<nr { tile[row * ldc + column] += edgeTile[row * tileColumns + column] }
              }
            }
          }
        }
      }
    }
  }
}

@inline(__always) private func roundUp(_ value: Int, to multiple: Int) -> Int {
  (value + multiple - 1) / multiple * multiple
}

/// Packs a depth x width panel of B into slivers of NR columns: sliver s holds, for each p,
/// the NR values B[p, s·NR ..< s·NR + NR] contiguously (zeros past the right edge), so the
/// micro-kernel reads B strictly sequentially. Handles B and Bᵀ through the strides.
private func packB(_ b: StridedMatrix, depth: Int, width: Int, into packed: UnsafeMutablePointer<Float>) {
  for jr in stride(from: 0, to: width, by: tileColumns) {
    let columns = min(tileColumns, width - jr)
    let sliver = packed + jr * depth
    let source = b.offsetBy(row: 0, column: jr)
    if b.columnStride == 1 && columns == tileColumns {
      // Row-major B: each step copies 16 contiguous floats.
      for p in 0..<depth {
        let row = UnsafeRawPointer(source.base + p * source.rowStride).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(sliver + p * tileColumns).storeBytes(of: row, as: SIMD16<Float>.self)
      }
    } else if b.rowStride == 1 {
      // Bᵀ stored row-major: read each column of B contiguously.
      for column in 0..<tileColumns {
        if column < columns {
          let from = source.base + column * source.columnStride
          for p in 0..<depth { sliver[p * tileColumns + column] = from[p] }
        } else {
          for p in 0..<depth { sliver[p * tileColumns + column] = 0 }
        }
      }
    } else {
      for p in 0..<depth {
        for column in 0..<tileColumns {
          sliver[p * tileColumns + column] =
            column < columns ? source.base[p * source.rowStride + column * source.columnStride] : 0
        }
      }
    }
  }
}

/// Packs a height x depth block of A into slivers of MR rows: sliver s holds, for each p, the MR
/// values A[s·MR ..< s·MR + MR, p] contiguously (zeros past the bottom edge), the order in which
/// the micro-kernel broadcasts them. Handles A and Aᵀ through the strides.
private func packA(_ a: StridedMatrix, height: Int, depth: Int, into packed: UnsafeMutablePointer<Float>) {
  for ir in stride(from: 0, to: height, by: tileRows) {
    let rows = min(tileRows, height - ir)
    let sliver = packed + ir * depth
    let source = a.offsetBy(row: ir, column: 0)
    for row in 0..<tileRows {
      if row < rows {
        let from = source.base + row * source.rowStride
        if source.columnStride == 1 {
          for p in 0..<depth { sliver[p * tileRows + row] = from[p] }
        } else {
          for p in 0..<depth { sliver[p * tileRows + row] = from[p * source.columnStride] }
        }
      } else {
        for p in 0..<depth { sliver[p * tileRows + row] = 0 }
      }
    }
  }
}

/// C[0..<6, 0..<16] += Σ_p a[p, 0..<6]ᵀ · b[p, 0..<16]: the 6 x 16 register tile.
///
/// `a` is a packed A sliver (6 floats per step), `b` a packed, 64-byte aligned B sliver (16 floats
/// per step). Every `addingProduct` is one fused multiply-add instruction on 8 lanes.
@inline(__always)
private func microKernel(
  depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  typealias Vector = SIMD8<Float>
  var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector(), c20 = Vector(), c21 = Vector()
  var c30 = Vector(), c31 = Vector(), c40 = Vector(), c41 = Vector(), c50 = Vector(), c51 = Vector()
  var a = a
  var b = UnsafeRawPointer(b)
  for _ in 0..<depth {
    let b0 = b.load(as: Vector.self)
    let b1 = b.load(fromByteOffset: 32, as: Vector.self)
    var broadcast = Vector(repeating: a[0])
    c00 = c00.addingProduct(broadcast, b0); c01 = c01.addingProduct(broadcast, b1)
    broadcast = Vector(repeating: a[1])
    c10 = c10.addingProduct(broadcast, b0); c11 = c11.addingProduct(broadcast, b1)
    broadcast = Vector(repeating: a[2])
    c20 = c20.addingProduct(broadcast, b0); c21 = c21.addingProduct(broadcast, b1)
    broadcast = Vector(repeating: a[3])
    c30 = c30.addingProduct(broadcast, b0); c31 = c31.addingProduct(broadcast, b1)
    broadcast = Vector(repeating: a[4])
    c40 = c40.addingProduct(broadcast, b0); c41 = c41.addingProduct(broadcast, b1)
    broadcast = Vector(repeating: a[5])
    c50 = c50.addingProduct(broadcast, b0); c51 = c51.addingProduct(broadcast, b1)
    a += tileRows
    b += tileColumns * 4
  }
  @inline(__always) func add(_ row: Int, _ left: Vector, _ right: Vector) {
    let target = UnsafeMutableRawPointer(c + row * ldc)
    target.storeBytes(of: target.loadUnaligned(as: Vector.self) + left, as: Vector.self)
    target.storeBytes(of: target.loadUnaligned(fromByteOffset: 32, as: Vector.self) + right, toByteOffset: 32, as: Vector.self)
  }
  add(0, c00, c01); add(1, c10, c11); add(2, c20, c21)
  add(3, c30, c31); add(4, c40, c41); add(5, c50, c51)
}
