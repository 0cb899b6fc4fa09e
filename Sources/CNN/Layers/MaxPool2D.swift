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
    let threads = poolingThreadCount(input.count)
    input.withUnsafeBufferPointer { xBuffer in
      output.withUnsafeMutableBufferPointer { outBuffer in
        argmax.withUnsafeMutableBufferPointer { winnerBuffer in
          let (xs, outs, winners) = (UncheckedSendable(xBuffer), UncheckedSendable(outBuffer), UncheckedSendable(winnerBuffer))
          // Planes (n, c) are independent: each thread takes a contiguous stripe of them.
          forEachStripe(of: n * c, threadCount: threads) { planes, _ in
            let (x, out, winner) = (xs.value, outs.value, winners.value)
            if fast {  // the common shape: MaxPool2D+Fast.swift
              MaxPool2D.forward2x2(
                input: x.baseAddress!, output: out.baseAddress!, argmax: winner.baseAddress!,
                planes: planes, height: h, width: w)
              return
            }
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
                  out[outBase + y * outWidth + xo] = bestValue
                  winner[outBase + y * outWidth + xo] = Int32(best)
                }
              }
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
    let threads = poolingThreadCount(gradInput.count)
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

// MARK: - Shared by the pooling layers

/// Two threads (this machine's cores) for large tensors; one below about 256 K elements, where
/// starting the second thread costs more than it saves.
func poolingThreadCount(_ elementCount: Int) -> Int {
  elementCount >= 1 << 18 ? kernelThreadCount : 1
}

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
