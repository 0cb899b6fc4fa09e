// Conv2D: the 2-D convolution layer (cross-correlation, as in PyTorch) and its readable reference
// kernels `directForward` / `directBackward`, plain nested loops straight from the formulas.
// The fast algorithms live beside it in Conv2D+Im2col.swift, Conv2D+Winograd.swift, Conv2D+FFT.swift.

/// How a `Conv2D` layer computes its forward and backward passes. All give the same numbers up to
/// rounding; they differ in speed and memory.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
  /// The nested loops of the definition (`Conv2D.directForward`): the reference, slow.
  case direct
  /// Patches unrolled into columns, then one matrix multiplication per image (`Conv2D.im2colForward`).
  case im2col
  /// Products of spectra (`Conv2D.fftForward`): pays off for large kernels.
  case fft
  /// Winograd F(2x2,3x3) (`Conv2D.winogradForward`): 3x3, stride 1 only; other shapes fall back to im2col.
  case winograd
  /// A per-shape choice from measurements on this machine (`Conv2D.automaticAlgorithm`).
  case automatic
}

/// A 2-D convolution layer (strictly a cross-correlation, like every deep-learning library).
///
///     output[n, o, y, x] = bias[o] + Σ_c Σ_i Σ_j input[n, c, y·S + i − P, x·S + j − P] · weight[o, c, i, j]
///
/// (input outside the image reads as 0: zero padding). Shapes: input (N, C, H, W) → output
/// (N, O, H′, W′) with H′ = (H + 2P − K) / S + 1 (rounded down), likewise W′; weight (O, C, K, K)
/// as in PyTorch's `nn.Conv2d`; bias (O).
public final class Conv2D: Layer {
  public let inChannels: Int
  public let outChannels: Int
  public let kernelSize: Int
  public let stride: Int
  public let padding: Int
  /// Whether `bias` is added and trained; when false `bias` stays zero and is not a parameter
  /// (a convolution followed by batch norm does not need one).
  public let usesBias: Bool
  /// The algorithm used by `forward` and `backward`; may be changed between passes.
  public var algorithm: ConvolutionAlgorithm
  public let weight: Parameter  // (O, C, K, K)
  public let bias: Parameter  // (O)

  /// What backward needs: the input, because ∂L/∂weight correlates the input with gradOutput.
  /// The algorithm is remembered so that backward matches the forward that produced the output.
  struct Cache {
    let input: Tensor  // (N, C, H, W)
    let algorithm: ConvolutionAlgorithm
  }
  private var cache: Cache?
  /// Scratch buffers reused across calls (Conv2D+Workspace.swift).
  private let workspace = ConvolutionWorkspace()

  /// A layer with He-normal weights (fan-in C·K·K, suited to a following ReLU) and zero bias.
  /// Throws a `CNNError` naming the first size that is out of range.
  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    usesBias: Bool = true, algorithm: ConvolutionAlgorithm = .automatic,
    using generator: inout SeededGenerator
  ) throws {
    guard inChannels >= 1 else { throw CNNError("Conv2D: inChannels must be at least 1, got \(inChannels)") }
    guard outChannels >= 1 else { throw CNNError("Conv2D: outChannels must be at least 1, got \(outChannels)") }
    guard kernelSize >= 1 else { throw CNNError("Conv2D: kernelSize must be at least 1, got \(kernelSize)") }
    guard stride >= 1 else { throw CNNError("Conv2D: stride must be at least 1, got \(stride)") }
    guard padding >= 0 else { throw CNNError("Conv2D: padding must be 0 or more, got \(padding)") }
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.usesBias = usesBias
    self.algorithm = algorithm
    let fanIn = inChannels * kernelSize * kernelSize
    weight = Parameter(
      name: "weight",
      value: Tensor(heNormal: [outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, using: &generator))
    bias = Parameter(name: "bias", value: Tensor(zeros: [outChannels]))
  }

  public var parameters: [Parameter] { usesBias ? [weight, bias] : [weight] }

  public var summary: String {
    var text = "Conv2D(\(inChannels)→\(outChannels), \(kernelSize)x\(kernelSize)"
    if stride != 1 { text += ", stride \(stride)" }
    if padding != 0 { text += ", pad \(padding)" }
    return text + ")"
  }

  /// The output height and width for an input of `height` x `width`, or a one-line error.
  public func outputSize(height: Int, width: Int) throws -> (height: Int, width: Int) {
    try Conv2D.outputSize(height: height, width: width, kernelSize: kernelSize, stride: stride,
                          padding: padding, layer: "Conv2D(\(inChannels)→\(outChannels), \(kernelSize)x\(kernelSize))")
  }

  // MARK: - Forward

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    guard input.rank == 4, input.shape[1] == inChannels else {
      throw CNNError.shape(summary, expected: "(N, \(inChannels), H, W)", got: input.shape)
    }
    _ = try outputSize(height: input.shape[2], width: input.shape[3])
    let chosen = resolvedAlgorithm(height: input.shape[2], width: input.shape[3])
    let b: Tensor? = usesBias ? bias.value : nil
    let output: Tensor
    switch chosen {
    case .direct:
      output = try Conv2D.directForward(input: input, weight: weight.value, bias: b, stride: stride, padding: padding)
    case .im2col, .automatic:
      output = try Conv2D.im2colForward(input: input, weight: weight.value, bias: b, stride: stride, padding: padding,
                                        workspace: workspace)
    case .winograd:
      output = try Conv2D.winogradForward(input: input, weight: weight.value, bias: b, stride: stride, padding: padding,
                                          workspace: workspace)
    case .fft:
      output = try Conv2D.fftForward(input: input, weight: weight.value, bias: b, stride: stride, padding: padding)
    }
    cache = mode == .training ? Cache(input: input, algorithm: chosen) : nil
    return output
  }

  // MARK: - Backward
  //   gradInput   = full convolution of gradOutput with the flipped kernel   (see directBackward)
  //   gradWeight += correlation of input with gradOutput
  //   gradBias   += Σ_{n,y,x} gradOutput[n, o, y, x]

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    try backward(gradOutput, needsInputGradient: true)
  }

  /// As `backward(_:)`; without `needsInputGradient` the im2col path skips the gradInput GEMM and
  /// col2im (over half of a first layer's backward time) and returns zeros.
  public func backward(_ gradOutput: Tensor, needsInputGradient: Bool) throws -> Tensor {
    guard let cache else { throw CNNError.backwardWithoutForward(summary) }
    let inputShape = cache.input.shape
    let size = try outputSize(height: inputShape[2], width: inputShape[3])
    try checkGradientShape(gradOutput, expected: [inputShape[0], outChannels, size.height, size.width], layer: summary)
    let result: (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)
    switch cache.algorithm {
    case .direct:
      result = try Conv2D.directBackward(gradOutput: gradOutput, input: cache.input, weight: weight.value, stride: stride, padding: padding)
    case .im2col, .automatic:
      result = try Conv2D.im2colBackward(gradOutput: gradOutput, input: cache.input, weight: weight.value, stride: stride, padding: padding,
                                     computesGradInput: needsInputGradient, workspace: workspace)
    case .winograd:
      result = try Conv2D.winogradBackward(gradOutput: gradOutput, input: cache.input, weight: weight.value, stride: stride, padding: padding,
                                       workspace: workspace)
    case .fft:
      result = try Conv2D.fftBackward(gradOutput: gradOutput, input: cache.input, weight: weight.value, stride: stride, padding: padding)
    }
    weight.grad.add(result.gradWeight)
    if usesBias { bias.grad.add(result.gradBias) }
    return result.gradInput
  }

  /// The algorithm `forward` will run for an input of this size: `algorithm` unless it is
  /// `.automatic`, and Winograd only where it applies (3x3, stride 1).
  public func resolvedAlgorithm(height: Int, width: Int) -> ConvolutionAlgorithm {
    switch algorithm {
    case .automatic:
      return Conv2D.automaticAlgorithm(
        inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
        height: height, width: width)
    case .winograd:
      return Conv2D.winogradApplies(kernelSize: kernelSize, stride: stride) ? .winograd : .im2col
    default:
      return algorithm
    }
  }
}

// MARK: - Choosing an algorithm

extension Conv2D {
  /// The algorithm `.automatic` runs for a shape: a rule read off measurements on this machine
  /// (2 Zen 3 cores, AVX2; `cnn-lessons bench` and chapter 10 show the numbers):
  ///
  /// - FFT for large kernels at stride 1 (K ≥ `fftMinimumKernelSize`): its cost hardly depends
  ///   on K, while im2col's grows with K². For N8 C16 O16 32x32, forward+backward, FFT caught up
  ///   with im2col at K = 11 and was 1.4x faster at K = 13.
  /// - Winograd F(2x2,3x3) for 3x3 stride-1 layers with at least `winogradMinimumChannels` input
  ///   channels: C is the depth of its 16 GEMMs (O, C)·(C, tiles), so with C = 1 it was 4.6x
  ///   slower than im2col (N64 C1 O32 28x28); from C = 4 up its forward was 1.2-2x faster
  ///   (N16 C4-C32, N32 C64/C128), 1.5x on N32 C64 O64 32x32.
  /// - im2col + GEMM otherwise: the best all-rounder.
  public static func automaticAlgorithm(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, height: Int, width: Int
  ) -> ConvolutionAlgorithm {
    if stride == 1 && kernelSize >= fftMinimumKernelSize { return .fft }
    if winogradApplies(kernelSize: kernelSize, stride: stride) && inChannels >= winogradMinimumChannels {
      return .winograd
    }
    return .im2col
  }

  /// The smallest kernel for which `.automatic` picks FFT convolution (measured crossover).
  public static let fftMinimumKernelSize = 11
  /// The fewest input channels for which `.automatic` picks Winograd (measured; set a little
  /// above the smallest winning C, 4, because the shared machine made timings noisy).
  public static let winogradMinimumChannels = 8
}

// MARK: - Shapes

extension Conv2D {
  /// The output size along one dimension, (input + 2P − K) / S + 1, or a one-line error when the
  /// kernel does not fit.
  public static func outputSize(input: Int, kernelSize: Int, stride: Int, padding: Int) throws -> Int {
    try outputSize(height: input, width: input, kernelSize: kernelSize, stride: stride, padding: padding,
                   layer: "Conv2D").height
  }

  /// Both output sizes, with an error naming `layer` when the shape does not fit.
  static func outputSize(
    height: Int, width: Int, kernelSize: Int, stride: Int, padding: Int, layer: String
  ) throws -> (height: Int, width: Int) {
    guard kernelSize > 0, stride > 0, padding >= 0 else {
      throw CNNError("\(layer): kernel size \(kernelSize) and stride \(stride) must be positive and padding \(padding) must not be negative")
    }
    guard height + 2 * padding >= kernelSize, width + 2 * padding >= kernelSize else {
      throw CNNError("\(layer): input \(height)x\(width) with padding \(padding) is smaller than the \(kernelSize)x\(kernelSize) kernel")
    }
    return ((height + 2 * padding - kernelSize) / stride + 1, (width + 2 * padding - kernelSize) / stride + 1)
  }
}

/// Every size of one convolution, checked once; shared by all the algorithms.
struct ConvolutionGeometry {
  let n: Int, c: Int, h: Int, w: Int  // input (N, C, H, W)
  let o: Int, k: Int  // weight (O, C, K, K)
  let s: Int, p: Int  // stride, padding
  let outH: Int, outW: Int  // H′, W′

  var inputShape: [Int] { [n, c, h, w] }
  var outputShape: [Int] { [n, o, outH, outW] }
  var weightShape: [Int] { [o, c, k, k] }

  /// Validates the shapes of a convolution's operands, throwing a one-line error naming them.
  init(input: [Int], weight: [Int], bias: [Int]?, stride: Int, padding: Int) throws {
    guard weight.count == 4, weight[2] == weight[3], weight[2] > 0 else {
      throw CNNError("Conv2D: weight must have shape (O, C, K, K) with a square kernel, got \(weight)")
    }
    let name = "Conv2D(\(weight[1])→\(weight[0]), \(weight[2])x\(weight[2]))"
    guard input.count == 4, input[1] == weight[1] else {
      throw CNNError.shape(name, expected: "(N, \(weight[1]), H, W)", got: input)
    }
    if let bias, bias != [weight[0]] {
      throw CNNError("\(name): bias must have shape [\(weight[0])], got \(bias)")
    }
    let size = try Conv2D.outputSize(
      height: input[2], width: input[3], kernelSize: weight[2], stride: stride, padding: padding, layer: name)
    (n, c, h, w) = (input[0], input[1], input[2], input[3])
    (o, k, s, p) = (weight[0], weight[2], stride, padding)
    (outH, outW) = size
  }

  /// The geometry of a backward pass: the forward's checks, and gradOutput of the output's shape.
  init(backward gradOutput: [Int], input: [Int], weight: [Int], stride: Int, padding: Int, function: String) throws {
    try self.init(input: input, weight: weight, bias: nil, stride: stride, padding: padding)
    guard gradOutput == outputShape else {
      throw CNNError("\(function): gradOutput of shape \(gradOutput) does not match the output shape \(outputShape)")
    }
  }
}

// MARK: - Reference kernels

extension Conv2D {
  /// The convolution straight from its definition: seven nested loops.
  ///
  ///     output[n, o, y, x] = bias[o] + Σ_c Σ_i Σ_j input[n, c, y·S + i − P, x·S + j − P] · weight[o, c, i, j]
  ///
  /// Shapes: input (N, C, H, W), weight (O, C, K, K), bias (O) or nil → output (N, O, H′, W′),
  /// H′ = (H + 2P − K) / S + 1. Throws when the shapes do not fit together.
  public static func directForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    let g = try ConvolutionGeometry(input: input.shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding)
    let biasValues = bias?.scalars ?? [Float](repeating: 0, count: g.o)
    var output = Tensor(zeros: g.outputShape)
    input.withUnsafeBufferPointer { input in
      weight.withUnsafeBufferPointer { weight in
        output.withUnsafeMutableBufferPointer { output in
          for n in 0..<g.n {
            for o in 0..<g.o {
              for y in 0..<g.outH {
                for x in 0..<g.outW {
                  var sum = biasValues[o]
                  for c in 0..<g.c {
                    for i in 0..<g.k {
                      let row = y * g.s + i - g.p
                      if row < 0 || row >= g.h { continue }  // zero padding
                      for j in 0..<g.k {
                        let column = x * g.s + j - g.p
                        if column < 0 || column >= g.w { continue }
                        sum += input[((n * g.c + c) * g.h + row) * g.w + column]
                          * weight[((o * g.c + c) * g.k + i) * g.k + j]
                      }
                    }
                  }
                  output[((n * g.o + o) * g.outH + y) * g.outW + x] = sum
                }
              }
            }
          }
        }
      }
    }
    return output
  }

  /// The gradients of the convolution, each straight from its formula.
  ///
  /// With dY = gradOutput (N, O, H′, W′) and X the zero-padded input:
  ///
  ///     gradInput[n, c, h, w]   = Σ_o Σ_i Σ_j dY[n, o, y, x] · weight[o, c, i, j]
  ///                               over y·S = h + P − i, x·S = w + P − j (integer, in range)
  ///     gradWeight[o, c, i, j]  = Σ_n Σ_y Σ_x dY[n, o, y, x] · X[n, c, y·S + i − P, x·S + j − P]
  ///     gradBias[o]             = Σ_n Σ_y Σ_x dY[n, o, y, x]
  ///
  /// gradInput is the *full* convolution of dY (spread out by the stride) with the kernel flipped
  /// in both directions (i → K−1−i), channels swapped; gradWeight correlates the input with dY;
  /// gradBias sums dY. Shapes: gradInput (N, C, H, W), gradWeight (O, C, K, K), gradBias (O).
  public static func directBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    let g = try ConvolutionGeometry(
      backward: gradOutput.shape, input: input.shape, weight: weight.shape, stride: stride, padding: padding,
      function: "Conv2D.directBackward")
    var gradInput = Tensor(zeros: g.inputShape)
    var gradWeight = Tensor(zeros: g.weightShape)
    var gradBias = Tensor(zeros: [g.o])
    gradOutput.withUnsafeBufferPointer { dY in
      input.withUnsafeBufferPointer { input in
        weight.withUnsafeBufferPointer { weight in
          // gradInput: gather, for every input pixel, the outputs whose window covered it.
          gradInput.withUnsafeMutableBufferPointer { gradInput in
            for n in 0..<g.n {
              for c in 0..<g.c {
                for h in 0..<g.h {
                  for w in 0..<g.w {
                    var sum: Float = 0
                    for o in 0..<g.o {
                      for i in 0..<g.k {
                        let ys = h + g.p - i  // = y·S
                        if ys < 0 || ys % g.s != 0 || ys / g.s >= g.outH { continue }
                        for j in 0..<g.k {
                          let xs = w + g.p - j  // = x·S
                          if xs < 0 || xs % g.s != 0 || xs / g.s >= g.outW { continue }
                          sum += dY[((n * g.o + o) * g.outH + ys / g.s) * g.outW + xs / g.s]
                            * weight[((o * g.c + c) * g.k + i) * g.k + j]
                        }
                      }
                    }
                    gradInput[((n * g.c + c) * g.h + h) * g.w + w] = sum
                  }
                }
              }
            }
          }
          // gradWeight: correlate the input with dY.
          gradWeight.withUnsafeMutableBufferPointer { gradWeight in
            for o in 0..<g.o {
              for c in 0..<g.c {
                for i in 0..<g.k {
                  for j in 0..<g.k {
                    var sum: Float = 0
                    for n in 0..<g.n {
                      for y in 0..<g.outH {
                        let row = y * g.s + i - g.p
                        if row < 0 || row >= g.h { continue }
                        for x in 0..<g.outW {
                          let column = x * g.s + j - g.p
                          if column < 0 || column >= g.w { continue }
                          sum += dY[((n * g.o + o) * g.outH + y) * g.outW + x]
                            * input[((n * g.c + c) * g.h + row) * g.w + column]
                        }
                      }
                    }
                    gradWeight[((o * g.c + c) * g.k + i) * g.k + j] = sum
                  }
                }
              }
            }
          }
        }
      }
      // gradBias: every output of channel o received bias[o] once.
      gradBias.withUnsafeMutableBufferPointer { gradBias in
        for n in 0..<g.n {
          for o in 0..<g.o {
            var sum: Float = 0
            for index in 0..<(g.outH * g.outW) { sum += dY[(n * g.o + o) * g.outH * g.outW + index] }
            gradBias[o] += sum
          }
        }
      }
    }
    return (gradInput, gradWeight, gradBias)
  }
}
