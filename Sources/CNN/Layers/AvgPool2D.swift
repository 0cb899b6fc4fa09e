// Average pooling: each output is the mean of its window; backward spreads the gradient evenly.

/// Average pooling over K×K windows moved by S, without padding.
///
///     output[n, c, y, x] = (1 / K²) Σ_{i, j < K} input[n, c, y·S + i, x·S + j]
///
/// Shapes: input (N, C, H, W) → output (N, C, H′, W′), H′ = (H − K) / S + 1 (floor), same for W′.
public final class AvgPool2D: Layer {
  public let kernelSize: Int
  public let stride: Int

  /// What backward needs: only the input's shape, because the mean is linear.
  struct Cache { let inputShape: [Int] }
  private var cache: Cache?

  /// Windows of `kernelSize`×`kernelSize`; `stride` defaults to `kernelSize` (no overlap).
  /// Throws a `CNNError` when the kernel size or stride is below 1.
  public init(kernelSize: Int, stride: Int? = nil) throws {
    guard kernelSize >= 1 else { throw CNNError("AvgPool2D: kernelSize must be at least 1, got \(kernelSize)") }
    if let stride, stride < 1 { throw CNNError("AvgPool2D: stride must be at least 1, got \(stride)") }
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
  }

  public var summary: String { "AvgPool2D(\(kernelSize)x\(kernelSize), stride \(stride))" }

  // MARK: - Forward

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    let (n, c, h, w) = try poolingInputShape(input, layer: summary)
    let outHeight = try pooledSize(h, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
    let outWidth = try pooledSize(w, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
    var output = Tensor(zeros: [n, c, outHeight, outWidth])
    let (k, s) = (kernelSize, stride)
    let scale = 1 / Float(k * k)
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { out in
        for plane in 0..<(n * c) {
          let inBase = plane * h * w
          let outBase = plane * outHeight * outWidth
          for y in 0..<outHeight {
            for xo in 0..<outWidth {
              var sum: Float = 0
              for i in 0..<k {
                let row = inBase + (y * s + i) * w + xo * s
                for j in 0..<k { sum += x[row + j] }
              }
              out[outBase + y * outWidth + xo] = sum * scale
            }
          }
        }
      }
    }
    cache = mode == .training ? Cache(inputShape: input.shape) : nil
    return output
  }

  // MARK: - Backward
  //   gradInput[n, c, y·S + i, x·S + j] += gradOutput[n, c, y, x] / K²   for every i, j < K

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    let (h, w) = (cache.inputShape[2], cache.inputShape[3])
    let planes = cache.inputShape[0] * cache.inputShape[1]
    let (outHeight, outWidth) = ((h - kernelSize) / stride + 1, (w - kernelSize) / stride + 1)
    try checkGradientShape(
      gradOutput, expected: [cache.inputShape[0], cache.inputShape[1], outHeight, outWidth], layer: summary)
    var gradInput = Tensor(zeros: cache.inputShape)
    let (k, s) = (kernelSize, stride)
    let scale = 1 / Float(k * k)
    gradInput.withUnsafeMutableBufferPointer { gx in
      gradOutput.withUnsafeBufferPointer { g in
        for plane in 0..<planes {
          let inBase = plane * h * w
          let outBase = plane * outHeight * outWidth
          for y in 0..<outHeight {
            for xo in 0..<outWidth {
              let share = g[outBase + y * outWidth + xo] * scale
              for i in 0..<k {
                let row = inBase + (y * s + i) * w + xo * s
                for j in 0..<k { gx[row + j] += share }
              }
            }
          }
        }
      }
    }
    return gradInput
  }
}

// MARK: - Reference

extension AvgPool2D {
  // The plain loops of the definition, the reference the layer's pointer loops are tested against:
  //
  //     output[n, c, y, x] = (1 / K²) Σ_{i, j < K} input[n, c, y·S + i, x·S + j]
  //     gradInput[n, c, y·S + i, x·S + j] += (1 / K²) · gradOutput[n, c, y, x]   for every i, j < K
  //
  // Shapes: input (N, C, H, W) → output (N, C, H′, W′), H′ = (H − K) / S + 1.

  /// Average pooling by the plain loops of its definition. Throws like the layer's forward when
  /// the input is not (N, C, H, W) or the window does not fit.
  public static func referenceForward(input: Tensor, kernelSize k: Int, stride s: Int) throws -> Tensor {
    let shape = try pooledShape(input.shape, kernelSize: k, stride: s, layer: "AvgPool2D(\(k)x\(k), stride \(s))")
    var output = Tensor(zeros: shape)
    for image in 0..<shape[0] {
      for channel in 0..<shape[1] {
        for y in 0..<shape[2] {
          for x in 0..<shape[3] {
            var sum: Float = 0
            for i in 0..<k {
              for j in 0..<k { sum += input[image, channel, y * s + i, x * s + j] }
            }
            output[image, channel, y, x] = sum * (1 / Float(k * k))
          }
        }
      }
    }
    return output
  }

  /// The gradient of `referenceForward`: each output's gradient shared equally by its K² inputs.
  /// Throws when gradOutput does not have the output's shape for an input of `inputShape`.
  public static func referenceBackward(
    gradOutput: Tensor, inputShape: [Int], kernelSize k: Int, stride s: Int
  ) throws -> Tensor {
    let expected = try pooledShape(inputShape, kernelSize: k, stride: s, layer: "AvgPool2D.referenceBackward")
    guard gradOutput.shape == expected else {
      throw CNNError("AvgPool2D.referenceBackward: gradOutput has shape \(gradOutput.shape), expected the output's \(expected)")
    }
    var gradInput = Tensor(zeros: inputShape)
    for image in 0..<expected[0] {
      for channel in 0..<expected[1] {
        for y in 0..<expected[2] {
          for x in 0..<expected[3] {
            let share = gradOutput[image, channel, y, x] * (1 / Float(k * k))
            for i in 0..<k {
              for j in 0..<k { gradInput[image, channel, y * s + i, x * s + j] += share }
            }
          }
        }
      }
    }
    return gradInput
  }
}
