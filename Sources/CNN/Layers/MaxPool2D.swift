// Max pooling: keep the largest value of each window, and route the gradient back to it.
// The tie rule (the first maximum in row-major window order wins) is part of the contract.

/// Max pooling over K×K windows moved by S, without padding.
///
///     output[n, c, y, x] = max over i, j < K of input[n, c, y·S + i, x·S + j]
///
/// Shapes: input (N, C, H, W) → output (N, C, H′, W′), H′ = (H − K) / S + 1 (floor), same for W′.
///
/// Tie rule: when several elements of a window share the maximum, the FIRST one in row-major
/// window order (smallest i, then smallest j) wins and receives the whole gradient; the others
/// get none. So Σ gradInput = Σ gradOutput always holds, as in PyTorch's CPU kernel.
public final class MaxPool2D: Layer {
  public let kernelSize: Int
  public let stride: Int

  /// What backward needs: the input's shape, and for every output the flat index of the input
  /// element that won its window ("the backward pass routes each gradient to that position").
  struct Cache {
    let inputShape: [Int]
    let argmax: [Int32]  // (N, C, H′, W′), flat indices into the input
  }
  private var cache: Cache?
  /// Whether 2x2 stride-2 pooling takes the specialised loop (MaxPool2D+Fast.swift); tests turn it
  /// off to hold the fast path equal to the generic loops.
  var usesFastPath = true

  /// Windows of `kernelSize`×`kernelSize`; `stride` defaults to `kernelSize` (no overlap).
  /// Throws a `CNNError` when the kernel size or stride is below 1.
  public init(kernelSize: Int, stride: Int? = nil) throws {
    guard kernelSize >= 1 else { throw CNNError("MaxPool2D: kernelSize must be at least 1, got \(kernelSize)") }
    if let stride, stride < 1 { throw CNNError("MaxPool2D: stride must be at least 1, got \(stride)") }
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
  }

  public var summary: String { "MaxPool2D(\(kernelSize)x\(kernelSize), stride \(stride))" }

  // MARK: - Forward

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    let (n, c, h, w) = try poolingInputShape(input, layer: summary)
    let outHeight = try pooledSize(h, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
    let outWidth = try pooledSize(w, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
    var output = Tensor(unfilled: [n, c, outHeight, outWidth])  // every window writes its output below
    // Reuse the last pass's argmax storage: dropping the cache first leaves it uniquely referenced,
    // so it is overwritten in place instead of reallocated every batch.
    var argmax = cache?.argmax ?? []
    cache = nil
    if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
    let fast = kernelSize == 2 && stride == 2 && usesFastPath
    let (k, s) = (kernelSize, stride)
    let threads = threadCount(forElements: input.count)
    input.withUnsafeBufferPointer { xBuffer in
      output.withUnsafeMutableBufferPointer { outBuffer in
        argmax.withUnsafeMutableBufferPointer { winnerBuffer in
          let (xs, outs, winners) = (UncheckedSendable(xBuffer), UncheckedSendable(outBuffer), UncheckedSendable(winnerBuffer))
          // Planes (n, c) are independent: each thread takes a contiguous stripe of them.
          forEachStripe(of: n * c, threadCount: threads) { planes, _ in
            // An empty batch has no buffers and nothing to pool.
            guard let x = xs.value.baseAddress, let out = outs.value.baseAddress,
                  let winner = winners.value.baseAddress else { return }
            if fast {  // the common shape: MaxPool2D+Fast.swift
              MaxPool2D.forward2x2(input: x, output: out, argmax: winner, planes: planes, height: h, width: w)
            } else {
              MaxPool2D.forwardWindows(
                input: x, output: out, argmax: winner, planes: planes, height: h, width: w,
                outHeight: outHeight, outWidth: outWidth, kernelSize: k, stride: s)
            }
          }
        }
      }
    }
    cache = mode == .training ? Cache(inputShape: input.shape, argmax: argmax) : nil
    return output
  }

  // MARK: - Backward
  //   gradInput[argmax[o]] += gradOutput[o]   (overlapping windows may pick the same winner)

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    let (h, w) = (cache.inputShape[2], cache.inputShape[3])
    try checkGradientShape(
      gradOutput,
      expected: [cache.inputShape[0], cache.inputShape[1], (h - kernelSize) / stride + 1, (w - kernelSize) / stride + 1],
      layer: summary)
    var gradInput = Tensor(zeros: cache.inputShape)
    let planes = cache.inputShape[0] * cache.inputShape[1]
    let outputsPerPlane = gradOutput.count / max(planes, 1)
    let threads = threadCount(forElements: gradInput.count)
    gradInput.withUnsafeMutableBufferPointer { gxBuffer in
      gradOutput.withUnsafeBufferPointer { gBuffer in
        cache.argmax.withUnsafeBufferPointer { winnerBuffer in
          let (gxs, gs, winners) = (UncheckedSendable(gxBuffer), UncheckedSendable(gBuffer), UncheckedSendable(winnerBuffer))
          // A plane's winners lie in the same plane of the input, so stripes of planes never collide.
          forEachStripe(of: planes, threadCount: threads) { stripe, _ in
            let (gx, g, winner) = (gxs.value, gs.value, winners.value)
            for o in (stripe.lowerBound * outputsPerPlane)..<(stripe.upperBound * outputsPerPlane) {
              gx[Int(winner[o])] += g[o]
            }
          }
        }
      }
    }
    return gradInput
  }
}

extension MaxPool2D {
  /// The general windows of the threaded forward, over the planes `planes` (each H x W) of a
  /// batch, on pointers to the whole input, output and argmax (flat indices into the input).
  /// The tie rule as `MaxPool2D`: a strict ">" in row-major window order keeps the first maximum.
  static func forwardWindows(
    input x: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
    planes: Range<Int>, height h: Int, width w: Int, outHeight: Int, outWidth: Int, kernelSize k: Int, stride s: Int
  ) {
    for plane in planes {
      let inBase = plane * h * w
      let outBase = plane * outHeight * outWidth
      for y in 0..<outHeight {
        for xo in 0..<outWidth {
          var best = inBase + (y * s) * w + xo * s
          var bestValue = x[best]
          for i in 0..<k {
            let row = inBase + (y * s + i) * w + xo * s
            for j in 0..<k where x[row + j] > bestValue {  // strict ">": the first maximum wins
              best = row + j
              bestValue = x[row + j]
            }
          }
          output[outBase + y * outWidth + xo] = bestValue
          argmax[outBase + y * outWidth + xo] = Int32(best)
        }
      }
    }
  }
}

// MARK: - Reference

extension MaxPool2D {
  // The plain loops of the definition, the reference the threaded layer and its 2x2 fast path are
  // tested against:
  //
  //     output[n, c, y, x] = input[n, c, y·S + i*, x·S + j*]
  //     gradInput[n, c, y·S + i*, x·S + j*] += gradOutput[n, c, y, x]
  //
  // where (i*, j*) is the first maximum of the window in row-major order (smallest i, then j):
  // the tie rule. Shapes: input (N, C, H, W) → output (N, C, H′, W′), H′ = (H − K) / S + 1.

  /// (i*, j*): the first position of the largest value in the window of output (n, c, y, x).
  static func referenceWinner(
    _ input: Tensor, _ n: Int, _ c: Int, _ y: Int, _ x: Int, kernelSize: Int, stride: Int
  ) -> (i: Int, j: Int) {
    var winner = (i: 0, j: 0)
    for i in 0..<kernelSize {
      for j in 0..<kernelSize
      where input[n, c, y * stride + i, x * stride + j] > input[n, c, y * stride + winner.i, x * stride + winner.j] {
        winner = (i, j)  // strictly larger only, so the first of equal maxima stays
      }
    }
    return winner
  }

  /// Max pooling by the plain loops of its definition (see the comment above). Throws like the
  /// layer's forward when the input is not (N, C, H, W) or the window does not fit.
  public static func referenceForward(input: Tensor, kernelSize: Int, stride: Int) throws -> Tensor {
    let shape = try pooledShape(
      input.shape, kernelSize: kernelSize, stride: stride, layer: "MaxPool2D(\(kernelSize)x\(kernelSize), stride \(stride))")
    var output = Tensor(zeros: shape)
    for image in 0..<shape[0] {
      for channel in 0..<shape[1] {
        for y in 0..<shape[2] {
          for x in 0..<shape[3] {
            let (i, j) = referenceWinner(input, image, channel, y, x, kernelSize: kernelSize, stride: stride)
            output[image, channel, y, x] = input[image, channel, y * stride + i, x * stride + j]
          }
        }
      }
    }
    return output
  }

  /// The gradient of `referenceForward`: each output's gradient goes to its window's winner.
  /// Throws when gradOutput does not have the output's shape.
  public static func referenceBackward(gradOutput: Tensor, input: Tensor, kernelSize: Int, stride: Int) throws -> Tensor {
    let expected = try pooledShape(input.shape, kernelSize: kernelSize, stride: stride, layer: "MaxPool2D.referenceBackward")
    guard gradOutput.shape == expected else {
      throw CNNError("MaxPool2D.referenceBackward: gradOutput has shape \(gradOutput.shape), expected the output's \(expected)")
    }
    var gradInput = Tensor(zeros: input.shape)
    for image in 0..<expected[0] {
      for channel in 0..<expected[1] {
        for y in 0..<expected[2] {
          for x in 0..<expected[3] {
            let (i, j) = referenceWinner(input, image, channel, y, x, kernelSize: kernelSize, stride: stride)
            gradInput[image, channel, y * stride + i, x * stride + j] += gradOutput[image, channel, y, x]
          }
        }
      }
    }
    return gradInput
  }
}

// MARK: - Shared by the pooling layers

/// Splits an (N, C, H, W) shape, or throws naming the layer.
func poolingInputShape(_ input: Tensor, layer: String) throws -> (Int, Int, Int, Int) {
  guard input.rank == 4 else { throw CNNError.shape(layer, expected: "(N, C, H, W)", got: input.shape) }
  return (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
}

/// H′ = (H − K) / S + 1, or a one-line error when the window does not fit.
func pooledSize(_ size: Int, kernelSize: Int, stride: Int, layer: String, input: Tensor) throws -> Int {
  guard size >= kernelSize else {
    throw CNNError("\(layer): a \(kernelSize)x\(kernelSize) window does not fit in input of shape \(input.shape)")
  }
  return (size - kernelSize) / stride + 1
}

/// The output shape (N, C, H′, W′) of pooling an input of `shape` with K x K windows moved by S,
/// or a one-line error naming the layer: the checks of the reference loops.
func pooledShape(_ shape: [Int], kernelSize: Int, stride: Int, layer: String) throws -> [Int] {
  guard kernelSize >= 1, stride >= 1 else {
    throw CNNError("\(layer): kernel size and stride must be at least 1, got \(kernelSize) and \(stride)")
  }
  guard shape.count == 4 else { throw CNNError.shape(layer, expected: "(N, C, H, W)", got: shape) }
  guard shape[2] >= kernelSize, shape[3] >= kernelSize else {
    throw CNNError("\(layer): a \(kernelSize)x\(kernelSize) window does not fit in input of shape \(shape)")
  }
  return [shape[0], shape[1], (shape[2] - kernelSize) / stride + 1, (shape[3] - kernelSize) / stride + 1]
}
