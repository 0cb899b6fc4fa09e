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

  /// Reads or writes one element by its multi-dimensional index (readable, not fast).
  @inlinable public subscript(_ index: Int...) -> Float {
    get { scalars[offset(index)] }
    set { scalars[offset(index)] = newValue }
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
