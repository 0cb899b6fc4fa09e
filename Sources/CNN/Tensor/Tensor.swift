// Tensor: a shape and a contiguous buffer of Float, row-major (the last index moves fastest).
// This is the clean, minimal container every layer reads and writes; it does no autodiff.
//
// Shape letters used in every comment of this library:
//   N batch size, C input channels, H, W input height and width,
//   O output channels, K kernel size, S stride, P padding, H′, W′ output height and width.
// NOTE: activations are NCHW and convolution weights OIHW, PyTorch's layouts: the fixtures rely on it.

/// An n-dimensional array of `Float` stored contiguously in row-major order.
///
/// `Tensor` is a value type: copies share storage until one of them is written to
/// (copy-on-write). Hot loops take a buffer pointer once, outside the loop.
public struct Tensor: Sendable, Equatable {
  /// The extent of each dimension, outermost first: `[N, C, H, W]` for a batch of images.
  public private(set) var shape: [Int]
  /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
  public var scalars: [Float]

  /// Creates a tensor from a shape and its elements in row-major order.
  ///
  /// A shape with a negative dimension, or whose element count differs from `scalars.count`, stops
  /// the program with a one-line message (`fatalError` keeps it in release builds, where
  /// `precondition` would strip it); `Tensor.elementCount(of:)` checks a shape without stopping.
  public init(shape: [Int], scalars: [Float]) {
    let count = Tensor.requireElementCount(of: shape)
    if count != scalars.count {
      fatalError("Tensor: shape \(shape) needs \(count) elements, got \(scalars.count)")
    }
    self.shape = shape
    self.scalars = scalars
  }

  /// A tensor of the given shape filled with `value`.
  public init(repeating value: Float, shape: [Int]) {
    self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.requireElementCount(of: shape)))
  }

  /// The number of elements of `shape`, or a `CNNError` naming a negative dimension or a product
  /// too large for `Int`.
  public static func elementCount(of shape: [Int]) throws -> Int {
    if let bad = shape.first(where: { $0 < 0 }) {
      throw CNNError("Tensor: shape \(shape) has a negative dimension \(bad); every dimension must be 0 or more")
    }
    var count = 1
    for extent in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      if overflow { throw CNNError("Tensor: shape \(shape) has more elements than memory can address") }
      count = product
    }
    return count
  }

  /// `elementCount(of:)`, stopping with its message (kept in release builds) on a bad shape.
  static func requireElementCount(of shape: [Int]) -> Int {
    do { return try elementCount(of: shape) } catch { fatalError("\(error)") }
  }

  /// A tensor of zeros.
  public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

  /// A tensor whose elements are NOT initialised: for outputs the caller overwrites completely,
  /// which saves the zero-filling pass of `init(zeros:)`. Every element must be written before
  /// it is read.
  init(unfilled shape: [Int]) {
    let count = Tensor.requireElementCount(of: shape)
    self.init(shape: shape, scalars: [Float](unsafeUninitializedCapacity: count) { _, initialized in
      initialized = count
    })
  }

  /// A tensor whose elements are computed from their flat index.
  public init(shape: [Int], generator: (Int) -> Float) {
    let count = Tensor.requireElementCount(of: shape)
    self.init(shape: shape, scalars: (0..<count).map(generator))
  }

  /// A matrix from nested rows, handy for small literal kernels: `Tensor([[1, -1]])`.
  public init(_ rows: [[Float]]) {
    let width = rows.first?.count ?? 0
    if !rows.allSatisfy({ $0.count == width }) { fatalError("Tensor: rows have different lengths") }
    self.init(shape: [rows.count, width], scalars: rows.flatMap { $0 })
  }

  /// The number of elements.
  @inlinable public var count: Int { scalars.count }

  /// The number of dimensions.
  @inlinable public var rank: Int { shape.count }

  /// The flat index of a multi-dimensional index; an index of the wrong rank or out of bounds
  /// stops the program with a message that release builds keep.
  @inlinable public func offset(_ index: [Int]) -> Int {
    if index.count != shape.count { fatalError("Tensor: index \(index) does not match shape \(shape)") }
    var flat = 0
    for (i, extent) in zip(index, shape) {
      if i < 0 || i >= extent { fatalError("Tensor: index \(index) is out of bounds for shape \(shape)") }
      flat = flat * extent + i
    }
    return flat
  }

  // Indexing by subscript, so that reference loops read like their formulas:
  //     sum += input[n, c, row, column] * weight[o, c, i, j]
  // One subscript per rank from 1 to 4 (a variadic one would allocate an array per access and
  // make `t[y, x]` ambiguous); other ranks use `scalars[offset([...])]`. Each index is checked
  // against its own dimension (a flat bounds check alone would let [0, W] of an (H, W) tensor
  // silently read [1, 0]), and a bad index stops the program with a message release builds keep
  // (`fatalError`, as `offset`); nothing is allocated.

  /// Element [i] of a rank-1 tensor, e.g. a bias (O).
  @inlinable public subscript(_ i: Int) -> Float {
    get {
      if shape.count != 1 { fatalError("Tensor: index [\(i)] does not match shape \(shape)") }
      return scalars[i]
    }
    set {
      if shape.count != 1 { fatalError("Tensor: index [\(i)] does not match shape \(shape)") }
      scalars[i] = newValue
    }
  }

  /// Element [row, column] of a rank-2 tensor, e.g. (N, O) or (H, W).
  @inlinable public subscript(_ i0: Int, _ i1: Int) -> Float {
    get { scalars[flatIndex(i0, i1)] }
    set { scalars[flatIndex(i0, i1)] = newValue }
  }

  /// Element [i0, i1, i2] of a rank-3 tensor, e.g. (C, H, W).
  @inlinable public subscript(_ i0: Int, _ i1: Int, _ i2: Int) -> Float {
    get { scalars[flatIndex(i0, i1, i2)] }
    set { scalars[flatIndex(i0, i1, i2)] = newValue }
  }

  /// Element [n, c, h, w] of a rank-4 tensor: an (N, C, H, W) batch or (O, C, K, K) weights.
  @inlinable public subscript(_ i0: Int, _ i1: Int, _ i2: Int, _ i3: Int) -> Float {
    get { scalars[flatIndex(i0, i1, i2, i3)] }
    set { scalars[flatIndex(i0, i1, i2, i3)] = newValue }
  }

  /// Row-major flat index of [i0, i1]: i0·D1 + i1.
  @inlinable func flatIndex(_ i0: Int, _ i1: Int) -> Int {
    if !(shape.count == 2 && 0 <= i0 && i0 < shape[0] && 0 <= i1 && i1 < shape[1]) {
      fatalError("Tensor: index [\(i0), \(i1)] is out of bounds for shape \(shape)")
    }
    return i0 * shape[1] + i1
  }

  /// Row-major flat index of [i0, i1, i2]: (i0·D1 + i1)·D2 + i2.
  @inlinable func flatIndex(_ i0: Int, _ i1: Int, _ i2: Int) -> Int {
    if !(shape.count == 3 && 0 <= i0 && i0 < shape[0] && 0 <= i1 && i1 < shape[1] && 0 <= i2 && i2 < shape[2]) {
      fatalError("Tensor: index [\(i0), \(i1), \(i2)] is out of bounds for shape \(shape)")
    }
    return (i0 * shape[1] + i1) * shape[2] + i2
  }

  /// Row-major flat index of [i0, i1, i2, i3]: ((i0·D1 + i1)·D2 + i2)·D3 + i3.
  @inlinable func flatIndex(_ i0: Int, _ i1: Int, _ i2: Int, _ i3: Int) -> Int {
    if !(shape.count == 4 && 0 <= i0 && i0 < shape[0] && 0 <= i1 && i1 < shape[1]
      && 0 <= i2 && i2 < shape[2] && 0 <= i3 && i3 < shape[3]) {
      fatalError("Tensor: index [\(i0), \(i1), \(i2), \(i3)] is out of bounds for shape \(shape)")
    }
    return ((i0 * shape[1] + i1) * shape[2] + i2) * shape[3] + i3
  }

  /// The same elements under a new shape with the same element count.
  public func reshaped(to newShape: [Int]) -> Tensor {
    if Tensor.requireElementCount(of: newShape) != count {
      fatalError("Tensor: cannot reshape \(shape) (\(count) elements) to \(newShape)")
    }
    return Tensor(shape: newShape, scalars: scalars)
  }

  /// Reshapes in place.
  public mutating func reshape(to newShape: [Int]) {
    if Tensor.requireElementCount(of: newShape) != count {
      fatalError("Tensor: cannot reshape \(shape) (\(count) elements) to \(newShape)")
    }
    shape = newShape
  }

  /// Items `range` along the first dimension (for example a mini-batch of images).
  public func slice(_ range: Range<Int>) -> Tensor {
    if rank < 1 || range.lowerBound < 0 || range.upperBound > shape[0] {
      fatalError("Tensor: slice \(range) is out of bounds for shape \(shape)")
    }
    let itemSize = shape.dropFirst().reduce(1, *)
    var newShape = shape
    newShape[0] = range.count
    return Tensor(
      shape: newShape,
      scalars: Array(scalars[range.lowerBound * itemSize..<range.upperBound * itemSize]))
  }

  /// Runs `body` with a read-only pointer to the elements.
  @inlinable public func withUnsafeBufferPointer<R>(
    _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try scalars.withUnsafeBufferPointer(body)
  }

  /// Runs `body` with a writable pointer to the elements.
  @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try scalars.withUnsafeMutableBufferPointer(body)
  }
}

extension Tensor {
  /// The flat index of the first NaN or infinite element, or nil when every element is finite.
  public var firstNonFiniteIndex: Int? {
    withUnsafeBufferPointer { x in
      for i in 0..<x.count where !x[i].isFinite { return i }
      return nil
    }
  }

  /// Whether every element is a finite number (no NaN, no ±infinity).
  public var isFinite: Bool { firstNonFiniteIndex == nil }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let preview = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
    return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
  }
}
