// Deliberately wrong backward passes, one line away from the right ones, to prove the gradient
// checker bites. Tests expect the checker to FAIL on each; chapter 6 shows the failing table.
// Readable loops on purpose (small inputs only); each `// BUG:` line marks the one mistake.

import Foundation

/// Layers whose forward pass is right and whose backward pass has one classic mistake.
public enum PlantedBug {
  /// A convolution whose ∂L/∂input uses the kernel without the 180° flip.
  public static func unflippedConvolution(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    using generator: inout SeededGenerator
  ) -> Layer {
    UnflippedConvolution(
      inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
      padding: padding, using: &generator)
  }

  /// A max pool that sends the gradient to every element tied for the maximum.
  public static func maxPoolGradientToAllTies(kernelSize: Int, stride: Int? = nil) -> Layer {
    MaxPoolGradientToAllTies(kernelSize: kernelSize, stride: stride ?? kernelSize)
  }

  /// A batch norm whose ∂L/∂input forgets the term from the mean depending on the input.
  public static func batchNormWithoutMeanTerm(channels: Int) -> Layer {
    BatchNormWithoutMeanTerm(channels: channels)
  }

  // MARK: - Convolution, kernel not flipped

  /// Cross-correlation, output[n, o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x[n, c, y·S + i − P, x·S + j − P].
  ///
  /// Right: ∂L/∂x[n, c, y·S + i − P, x·S + j − P] += g[n, o, y, x] · w[o, c, i, j], which is a full
  /// convolution of g with the kernel rotated 180°. The bug reads w[o, c, K−1−i, K−1−j]: the kernel
  /// "not flipped" in that formulation. It goes unnoticed for symmetric kernels only.
  final class UnflippedConvolution: Layer {
    let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    let weight: Parameter  // (O, C, K, K)
    let bias: Parameter  // (O)
    /// What backward needs: the input, for ∂L/∂w and the input's shape.
    struct Cache { let input: Tensor }
    private var cache: Cache?

    init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int,
         using generator: inout SeededGenerator) {
      (self.inChannels, self.outChannels, self.kernelSize, self.stride, self.padding) =
        (inChannels, outChannels, kernelSize, stride, padding)
      let fanIn = inChannels * kernelSize * kernelSize
      weight = Parameter(name: "weight", value: Tensor(heNormal: [outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, using: &generator))
      bias = Parameter(name: "bias", value: Tensor(randomNormal: [outChannels], standardDeviation: 0.1, using: &generator))
    }

    var parameters: [Parameter] { [weight, bias] }
    var summary: String { "PlantedBug.unflippedConvolution(\(inChannels)→\(outChannels), \(kernelSize)x\(kernelSize))" }

    func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
      guard input.rank == 4, input.shape[1] == inChannels,
            input.shape[2] + 2 * padding >= kernelSize, input.shape[3] + 2 * padding >= kernelSize else {
        throw CNNError.shape(summary, expected: "(N, \(inChannels), H ≥ K − 2P, W ≥ K − 2P)", got: input.shape)
      }
      let (n, h, w, k, s, p) = (input.shape[0], input.shape[2], input.shape[3], kernelSize, stride, padding)
      let (outHeight, outWidth) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
      let (weights, biases) = (weight.value, bias.value)
      var output = Tensor(zeros: [n, outChannels, outHeight, outWidth])
      for image in 0..<n { for o in 0..<outChannels { for y in 0..<outHeight { for x in 0..<outWidth {
        var sum = biases[o]
        for c in 0..<inChannels { for i in 0..<k { for j in 0..<k {
          let (row, column) = (y * s + i - p, x * s + j - p)
          if row >= 0, row < h, column >= 0, column < w {
            sum += weights[o, c, i, j] * input[image, c, row, column]
          }
        } } }
        output[image, o, y, x] = sum
      } } } }
      cache = mode == .training ? Cache(input: input) : nil
      return output
    }

    func backward(_ gradOutput: Tensor) throws -> Tensor {
      guard let cache else { throw CNNError.backwardWithoutForward(summary) }
      let input = cache.input
      let (n, h, w, k, s, p) = (input.shape[0], input.shape[2], input.shape[3], kernelSize, stride, padding)
      let (outHeight, outWidth) = (gradOutput.shape[2], gradOutput.shape[3])
      let weights = weight.value
      var gradInput = Tensor(zeros: input.shape)
      var gradWeight = Tensor(zeros: weights.shape)
      var gradBias = Tensor(zeros: [outChannels])
      for image in 0..<n { for o in 0..<outChannels { for y in 0..<outHeight { for x in 0..<outWidth {
        let g = gradOutput[image, o, y, x]
        gradBias[o] += g
        for c in 0..<inChannels { for i in 0..<k { for j in 0..<k {
          let (row, column) = (y * s + i - p, x * s + j - p)
          if row >= 0, row < h, column >= 0, column < w {
            gradWeight[o, c, i, j] += g * input[image, c, row, column]
            gradInput[image, c, row, column] += g * weights[o, c, k - 1 - i, k - 1 - j]  // BUG: should be weights[o, c, i, j]
          }
        } } }
      } } } }
      weight.grad.add(gradWeight)
      bias.grad.add(gradBias)
      return gradInput
    }
  }

  // MARK: - Max pool, gradient to every tie

  /// Forward as `MaxPool2D`; the bug routes the gradient to every element equal to the maximum,
  /// so an all-equal window passes K² times the gradient back instead of once.
  final class MaxPoolGradientToAllTies: Layer {
    let kernelSize: Int, stride: Int
    /// What backward needs: the input and output, to find every element equal to the window's max.
    struct Cache { let input: Tensor; let output: Tensor }
    private var cache: Cache?

    init(kernelSize: Int, stride: Int) { (self.kernelSize, self.stride) = (kernelSize, stride) }

    var summary: String { "PlantedBug.maxPoolGradientToAllTies(\(kernelSize)x\(kernelSize), stride \(stride))" }

    func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
      let (n, c, h, w) = try poolingInputShape(input, layer: summary)
      let outHeight = try pooledSize(h, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
      let outWidth = try pooledSize(w, kernelSize: kernelSize, stride: stride, layer: summary, input: input)
      var output = Tensor(zeros: [n, c, outHeight, outWidth])
      for image in 0..<n { for channel in 0..<c { for y in 0..<outHeight { for x in 0..<outWidth {
        var best = -Float.infinity
        for i in 0..<kernelSize { for j in 0..<kernelSize {
          best = max(best, input[image, channel, y * stride + i, x * stride + j])
        } }
        output[image, channel, y, x] = best
      } } } }
      cache = mode == .training ? Cache(input: input, output: output) : nil
      return output
    }

    func backward(_ gradOutput: Tensor) throws -> Tensor {
      guard let cache else { throw CNNError.backwardWithoutForward(summary) }
      var gradInput = Tensor(zeros: cache.input.shape)
      let (n, c, outHeight, outWidth) = (gradOutput.shape[0], gradOutput.shape[1], gradOutput.shape[2], gradOutput.shape[3])
      for image in 0..<n { for channel in 0..<c { for y in 0..<outHeight { for x in 0..<outWidth {
        for i in 0..<kernelSize { for j in 0..<kernelSize {
          let (row, column) = (y * stride + i, x * stride + j)
          // BUG: every tied element gets the gradient; only the first maximum should.
          if cache.input[image, channel, row, column] == cache.output[image, channel, y, x] {
            gradInput[image, channel, row, column] += gradOutput[image, channel, y, x]
          }
        } }
      } } } }
      return gradInput
    }
  }

  // MARK: - Batch norm, mean term missing

  /// Training-mode batch norm as `BatchNorm2D`; the bug drops −(1/M) Σ gradOutput from ∂L/∂x,
  /// as if the batch mean did not depend on the input.
  final class BatchNormWithoutMeanTerm: Layer {
    let channels: Int
    let epsilon: Float = 1e-5
    let scale: Parameter  // γ (C)
    let offset: Parameter  // β (C)
    /// What backward needs: x̂ and 1/√(σ² + ε) per channel.
    struct Cache { let xHat: Tensor; let inverseStd: [Float] }
    private var cache: Cache?

    init(channels: Int) {
      self.channels = channels
      scale = Parameter(name: "weight", value: Tensor(repeating: 1, shape: [channels]))
      offset = Parameter(name: "bias", value: Tensor(zeros: [channels]))
    }

    var parameters: [Parameter] { [scale, offset] }
    var summary: String { "PlantedBug.batchNormWithoutMeanTerm(\(channels))" }

    func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
      guard input.rank == 4, input.shape[1] == channels else {
        throw CNNError.shape(summary, expected: "(N, \(channels), H, W)", got: input.shape)
      }
      let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
      let m = Float(n * h * w)
      let (gamma, beta) = (scale.value, offset.value)
      var xHat = input
      var output = input
      var inverseStd = [Float](repeating: 0, count: channels)
      for c in 0..<channels {
        var mean: Float = 0, variance: Float = 0
        for image in 0..<n { for y in 0..<h { for x in 0..<w { mean += input[image, c, y, x] } } }
        mean /= m
        for image in 0..<n { for y in 0..<h { for x in 0..<w { variance += pow(input[image, c, y, x] - mean, 2) } } }
        variance /= m
        inverseStd[c] = 1 / (variance + epsilon).squareRoot()
        for image in 0..<n { for y in 0..<h { for x in 0..<w {
          xHat[image, c, y, x] = (input[image, c, y, x] - mean) * inverseStd[c]
          output[image, c, y, x] = gamma[c] * xHat[image, c, y, x] + beta[c]
        } } }
      }
      cache = mode == .training ? Cache(xHat: xHat, inverseStd: inverseStd) : nil
      return output
    }

    func backward(_ gradOutput: Tensor) throws -> Tensor {
      guard let cache else { throw CNNError.backwardWithoutForward(summary) }
      let (n, h, w) = (gradOutput.shape[0], gradOutput.shape[2], gradOutput.shape[3])
      let m = Float(n * h * w)
      let gamma = scale.value
      var gradInput = gradOutput
      var gradGamma = Tensor(zeros: [channels]), gradBeta = Tensor(zeros: [channels])
      for c in 0..<channels {
        var sumGradXHat: Float = 0
        for image in 0..<n { for y in 0..<h { for x in 0..<w {
          gradBeta[c] += gradOutput[image, c, y, x]
          sumGradXHat += gradOutput[image, c, y, x] * cache.xHat[image, c, y, x]
        } } }
        gradGamma[c] = sumGradXHat
        for image in 0..<n { for y in 0..<h { for x in 0..<w {
          // BUG: the right formula subtracts (1/M) Σ gradOutput here as well (the mean term).
          gradInput[image, c, y, x] = gamma[c] * cache.inverseStd[c]
            * (gradOutput[image, c, y, x] - cache.xHat[image, c, y, x] * sumGradXHat / m)
        } } }
      }
      scale.grad.add(gradGamma)
      offset.grad.add(gradBeta)
      return gradInput
    }
  }
}
