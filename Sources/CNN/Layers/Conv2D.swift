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

  /// A layer with the given weights (copied): weight (O, C, K, K) with a square kernel, bias (O)
  /// or nil for none (then `usesBias` is false). Throws a one-line error naming both shapes when
  /// they do not fit, or when the stride is below 1 or the padding negative.
  public init(
    weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, algorithm: ConvolutionAlgorithm = .automatic
  ) throws {
    guard weight.rank == 4, weight.shape[2] == weight.shape[3], weight.shape.allSatisfy({ $0 > 0 }) else {
      throw CNNError("Conv2D: weight must have shape (O, C, K, K) with a square kernel, got \(weight.shape)")
    }
    let (o, c, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
    if let bias, bias.shape != [o] {
      throw CNNError("Conv2D(\(c)→\(o), \(k)x\(k)): bias has shape \(bias.shape), expected [\(o)] to match weight \(weight.shape)")
    }
    guard stride >= 1, padding >= 0 else {
      throw CNNError("Conv2D(\(c)→\(o), \(k)x\(k)): stride must be at least 1 and padding at least 0, got stride \(stride), padding \(padding)")
    }
    (inChannels, outChannels, kernelSize) = (c, o, k)
    (self.stride, self.padding, self.algorithm) = (stride, padding, algorithm)
    usesBias = bias != nil
    self.weight = Parameter(name: "weight", value: weight)
    self.bias = Parameter(name: "bias", value: bias ?? Tensor(zeros: [o]))
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
    let output = try Conv2D.forward(
      input: input, weight: weight.value, bias: b, stride: stride, padding: padding, algorithm: chosen,
      workspace: workspace)
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
    let result = try Conv2D.backward(
      gradOutput: gradOutput, input: cache.input, weight: weight.value, stride: stride, padding: padding,
      algorithm: cache.algorithm, computesGradInput: needsInputGradient, workspace: workspace)
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

  /// The forward pass by `algorithm`, the switch a layer's `forward` runs; `.automatic` runs what
  /// `automaticAlgorithm` picks for these shapes. Shapes as `directForward`; Winograd throws where
  /// it does not apply.
  public static func forward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, algorithm: ConvolutionAlgorithm
  ) throws -> Tensor {
    try forward(input: input, weight: weight, bias: bias, stride: stride, padding: padding, algorithm: algorithm,
                workspace: nil)
  }

  static func forward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, algorithm: ConvolutionAlgorithm,
    workspace: ConvolutionWorkspace?
  ) throws -> Tensor {
    switch resolved(algorithm, input: input.shape, weight: weight.shape, stride: stride) {
    case .direct:
      return try directForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
    case .im2col, .automatic:
      return try im2colForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding,
                               workspace: workspace)
    case .winograd:
      return try winogradForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding,
                                 workspace: workspace)
    case .fft:
      return try fftForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
    }
  }

  /// The gradients by `algorithm`, the switch a layer's `backward` runs; `.automatic` as in
  /// `forward(input:weight:bias:stride:padding:algorithm:)`. Shapes as `directBackward`.
  public static func backward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int, algorithm: ConvolutionAlgorithm
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    try backward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding,
                 algorithm: algorithm, computesGradInput: true, workspace: nil)
  }

  /// As above; without `computesGradInput` the im2col path skips gradInput (returned as zeros).
  static func backward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int, algorithm: ConvolutionAlgorithm,
    computesGradInput: Bool, workspace: ConvolutionWorkspace?
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    switch resolved(algorithm, input: input.shape, weight: weight.shape, stride: stride) {
    case .direct:
      return try directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding)
    case .im2col, .automatic:
      return try im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding,
                                computesGradInput: computesGradInput, workspace: workspace)
    case .winograd:
      return try winogradBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding,
                                  workspace: workspace)
    case .fft:
      return try fftBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding)
    }
  }

  /// `.automatic` replaced by `automaticAlgorithm`'s choice for an (N, C, H, W) input and an
  /// (O, C, K, K) weight (shapes the caller has checked or the algorithm will check); any other
  /// algorithm unchanged.
  private static func resolved(
    _ algorithm: ConvolutionAlgorithm, input: [Int], weight: [Int], stride: Int
  ) -> ConvolutionAlgorithm {
    guard algorithm == .automatic, input.count == 4, weight.count == 4 else { return algorithm }
    return automaticAlgorithm(
      inChannels: weight[1], outChannels: weight[0], kernelSize: weight[2], stride: stride,
      height: input[2], width: input[3])
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
  /// The convolution straight from its definition, seven nested loops: the reference every fast
  /// algorithm is tested against.
  ///
  ///     output[n, o, y, x] = bias[o] + Σ_c Σ_i Σ_j input[n, c, y·S + i − P, x·S + j − P] · weight[o, c, i, j]
  ///
  /// Shapes: input (N, C, H, W), weight (O, C, K, K), bias (O) or nil → output (N, O, H′, W′),
  /// H′ = (H + 2P − K) / S + 1. Input outside the image reads as 0 (zero padding), so those terms
  /// are skipped. Throws when the shapes do not fit together.
  public static func directForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    let g = try ConvolutionGeometry(input: input.shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding)
    var output = Tensor(zeros: g.outputShape)
    for n in 0..<g.n {
      for o in 0..<g.o {
        for y in 0..<g.outH {
          for x in 0..<g.outW {
            var sum = bias?[o] ?? 0
            for c in 0..<g.c {
              for i in 0..<g.k {
                for j in 0..<g.k {
                  let (row, column) = (y * stride + i - padding, x * stride + j - padding)
                  guard 0 <= row && row < g.h && 0 <= column && column < g.w else { continue }
                  sum += input[n, c, row, column] * weight[o, c, i, j]
                }
              }
            }
            output[n, o, y, x] = sum
          }
        }
      }
    }
    return output
  }

  /// The gradients of the convolution by the same seven loops, run backwards: every product
  /// input · weight that the forward pass added into output[n, o, y, x] sends dY = gradOutput[n, o, y, x]
  /// back to each of its two factors, and the bias receives dY once.
  ///
  ///     gradInput[n, c, y·S + i − P, x·S + j − P] += dY · weight[o, c, i, j]
  ///     gradWeight[o, c, i, j]                    += dY · input[n, c, y·S + i − P, x·S + j − P]
  ///     gradBias[o]                               += dY
  ///
  /// Gathered per input pixel, gradInput is the *full* convolution of dY (spread out by the stride)
  /// with the kernel flipped in both directions (i → K−1−i), channels swapped; gradWeight
  /// correlates the input with dY; gradBias sums dY (chapter 6). Shapes: gradOutput (N, O, H′, W′)
  /// → gradInput (N, C, H, W), gradWeight (O, C, K, K), gradBias (O).
  public static func directBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    let g = try ConvolutionGeometry(
      backward: gradOutput.shape, input: input.shape, weight: weight.shape, stride: stride, padding: padding,
      function: "Conv2D.directBackward")
    var gradInput = Tensor(zeros: g.inputShape)
    var gradWeight = Tensor(zeros: g.weightShape)
    var gradBias = Tensor(zeros: [g.o])
    for n in 0..<g.n {
      for o in 0..<g.o {
        for y in 0..<g.outH {
          for x in 0..<g.outW {
            let dY = gradOutput[n, o, y, x]
            gradBias[o] += dY
            for c in 0..<g.c {
              for i in 0..<g.k {
                for j in 0..<g.k {
                  let (row, column) = (y * stride + i - padding, x * stride + j - padding)
                  guard 0 <= row && row < g.h && 0 <= column && column < g.w else { continue }
                  gradInput[n, c, row, column] += dY * weight[o, c, i, j]
                  gradWeight[o, c, i, j] += dY * input[n, c, row, column]
                }
              }
            }
          }
        }
      }
    }
    return (gradInput, gradWeight, gradBias)
  }
}
