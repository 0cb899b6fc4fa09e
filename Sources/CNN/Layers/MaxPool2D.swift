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
  public init(kernelSize: Int, stride: Int? = nil) {
    precondition(kernelSize >= 1 && (stride ?? 1) >= 1, "MaxPool2D needs kernelSize ≥ 1 and stride ≥ 1")
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
  }

  public var summary: String { "MaxPool2D(\(kernelSize)x\(kernelSize), stride \(stride))" }

  // MARK: - Forward

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    let (n, c, h, w) = try poolingInputShape(input, layer: summary)
    let outHeight = try pooledSize(h, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
    let outWidth = try pooledSize(w, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
    var output = Tensor(zeros: [n, c, outHeight, outWidth])
    // Reuse the last pass's argmax storage: dropping the cache first leaves it uniquely referenced,
    // so it is overwritten in place instead of reallocated every batch.
    var argmax = cache?.argmax ?? []
    cache = nil
    if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
    let (k, s) = (kernelSize, stride)
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { out in
        argmax.withUnsafeMutableBufferPointer { winner in
          if k == 2 && s == 2 && usesFastPath {  // the common shape: MaxPool2D+Fast.swift
            MaxPool2D.forward2x2(
              input: x.baseAddress!, output: out.baseAddress!, argmax: winner.baseAddress!,
              planes: n * c, height: h, width: w)
            return
          }
          for plane in 0..<(n * c) {
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
    cache = mode == .training ? Cache(inputShape: input.shape, argmax: argmax) : nil
    return output
  }

  // MARK: - Backward
  //   gradInput[argmax[o]] += gradOutput[o]   (overlapping windows may pick the same winner)

  public func backward(_ gradOutput: Tensor) -> Tensor {
    guard let cache else { preconditionFailure("MaxPool2D.backward called without a training-mode forward") }
    precondition(gradOutput.count == cache.argmax.count, "MaxPool2D.backward: gradOutput \(gradOutput.shape) does not match the last output")
    var gradInput = Tensor(zeros: cache.inputShape)
    gradInput.withUnsafeMutableBufferPointer { gx in
      gradOutput.withUnsafeBufferPointer { g in
        cache.argmax.withUnsafeBufferPointer { winner in
          for o in 0..<g.count { gx[Int(winner[o])] += g[o] }
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
