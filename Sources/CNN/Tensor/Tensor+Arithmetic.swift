// Element-wise arithmetic and reductions on tensors: the small helpers layers, optimizers and
// lessons share. Plain loops; the compiler vectorises them in release builds.

extension Tensor {
  /// Element-wise sum; the shapes must be equal.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
    guard lhs.shape == rhs.shape else { fatalError("Tensor: cannot add shapes \(lhs.shape) and \(rhs.shape)") }
    var result = lhs
    result.add(rhs)
    return result
  }

  /// Element-wise difference; the shapes must be equal.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
    guard lhs.shape == rhs.shape else { fatalError("Tensor: cannot subtract shapes \(lhs.shape) and \(rhs.shape)") }
    var result = lhs
    result.add(rhs, scaledBy: -1)
    return result
  }

  /// Element-wise product; the shapes must be equal.
  public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
    guard lhs.shape == rhs.shape else { fatalError("Tensor: cannot multiply shapes \(lhs.shape) and \(rhs.shape)") }
    return Tensor(shape: lhs.shape, scalars: zip(lhs.scalars, rhs.scalars).map { $0 * $1 })
  }

  /// Every element times a scalar.
  public static func * (lhs: Tensor, rhs: Float) -> Tensor {
    Tensor(shape: lhs.shape, scalars: lhs.scalars.map { $0 * rhs })
  }

  /// Adds `scale · other` into this tensor in place (BLAS's axpy).
  public mutating func add(_ other: Tensor, scaledBy scale: Float = 1) {
    guard shape == other.shape else { fatalError("Tensor: cannot add shapes \(shape) and \(other.shape)") }
    other.scalars.withUnsafeBufferPointer { source in
      scalars.withUnsafeMutableBufferPointer { target in
        for i in 0..<target.count { target[i] = target[i].addingProduct(scale, source[i]) }
      }
    }
  }

  /// Sets every element to zero, keeping the storage.
  public mutating func fillZero() {
    scalars.withUnsafeMutableBufferPointer { buffer in
      buffer.update(repeating: 0)
    }
  }

  /// Applies `transform` to every element.
  public func map(_ transform: (Float) -> Float) -> Tensor {
    Tensor(shape: shape, scalars: scalars.map(transform))
  }

  /// The sum of all elements, accumulated in Double so long sums stay accurate.
  public func sum() -> Float {
    var total: Double = 0
    for value in scalars { total += Double(value) }
    return Float(total)
  }

  /// The mean of all elements.
  public func mean() -> Float { count == 0 ? 0 : sum() / Float(count) }

  /// The largest element.
  public func max() -> Float { scalars.max() ?? 0 }

  /// The smallest element.
  public func min() -> Float { scalars.min() ?? 0 }

  /// The largest absolute difference to another tensor of the same shape.
  public func maxAbsDifference(_ other: Tensor) -> Float {
    guard shape == other.shape else { fatalError("Tensor: cannot compare shapes \(shape) and \(other.shape)") }
    var worst: Float = 0
    for (a, b) in zip(scalars, other.scalars) { worst = Swift.max(worst, abs(a - b)) }
    return worst
  }

  /// The index of the largest element in each row of an (N, M) tensor.
  public func argmaxRows() -> [Int] {
    guard rank == 2 else { fatalError("Tensor: argmaxRows needs an (N, M) tensor, got \(shape)") }
    let columns = shape[1]
    return (0..<shape[0]).map { row in
      var best = 0
      for j in 1..<columns where scalars[row * columns + j] > scalars[row * columns + best] { best = j }
      return best
    }
  }

  /// The Euclidean norm of all elements.
  public func norm() -> Float {
    var total: Double = 0
    for value in scalars { total += Double(value) * Double(value) }
    return Float(total.squareRoot())
  }
}
