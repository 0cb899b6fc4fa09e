// Mean squared error: the regression loss chapter 7 uses to learn a kernel from filtered images.

/// The mean of squared differences over all elements, and its gradient.
///
///     loss = (1/E) Σ_i (prediction_i − target_i)²        E = element count
///     ∂loss/∂prediction_i = 2 (prediction_i − target_i) / E
///
/// Shapes: prediction and target equal, any shape. Matches PyTorch's `nn.MSELoss()` (mean).
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) throws -> (loss: Float, gradient: Tensor) {
  guard prediction.shape == target.shape else {
    throw CNNError("meanSquaredError: prediction \(prediction.shape) and target \(target.shape) differ in shape")
  }
  guard prediction.count > 0 else { throw CNNError("meanSquaredError: prediction and target of shape \(prediction.shape) are empty") }
  if let index = prediction.firstNonFiniteIndex {
    throw CNNError("meanSquaredError: prediction element \(index) is \(prediction.scalars[index]), not a finite number")
  }
  if let index = target.firstNonFiniteIndex {
    throw CNNError("meanSquaredError: target element \(index) is \(target.scalars[index]), not a finite number")
  }
  var gradient = prediction
  var total: Double = 0
  let scale = 2 / Float(max(prediction.count, 1))
  gradient.withUnsafeMutableBufferPointer { g in
    target.withUnsafeBufferPointer { t in
      for i in 0..<g.count {
        let difference = g[i] - t[i]
        total += Double(difference) * Double(difference)
        g[i] = scale * difference
      }
    }
  }
  return (Float(total / Double(max(prediction.count, 1))), gradient)
}
