// Gradient checking: compare a layer's hand-written backward pass with central differences of a
// scalar "fake loss", element by element, for the input and for every parameter.
// Used by the tests and by the lessons (chapters 5, 6, 13), so it lives in the library.

/// The outcome of a gradient check: one comparison per checked tensor.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
  /// Analytic against numeric gradient for one tensor (`"input"`, `"0.weight"`, …).
  public struct Comparison: Sendable {
    public let name: String
    /// ∂L/∂tensor from `backward`.
    public let analytic: Tensor
    /// ∂L/∂tensor from central differences.
    public let numeric: Tensor
    /// max over elements of |a − n| / max(floor, |a| + |n|); see `compare`.
    public let maxRelativeError: Float
    /// max over elements of |a − n|.
    public let maxAbsoluteError: Float
  }

  public let comparisons: [Comparison]
  public let step: Float

  /// One `(name, maxRelativeError)` pair per tensor, input first, then parameters in order.
  public var entries: [(name: String, maxRelativeError: Float)] {
    comparisons.map { ($0.name, $0.maxRelativeError) }
  }

  /// The worst relative error over all tensors.
  public var maxRelativeError: Float { comparisons.map(\.maxRelativeError).max() ?? 0 }

  /// Whether every tensor's error is at most `tolerance`.
  public func passes(tolerance: Float = gradientCheckTolerance) -> Bool {
    maxRelativeError <= tolerance
  }

  public var description: String {
    comparisons.map { c in
      "\(c.name): max relative error \(c.maxRelativeError), max absolute error \(c.maxAbsoluteError)"
    }.joined(separator: "\n")
  }
}

// NOTE: why these two numbers (measured on this library's layers, Float32, loss summed in Double).
//
// Central differences have a truncation error of about h²/6 · f‴ and a rounding error of about
// ε_float · |output| · √(output count) / h, because every output is rounded to Float before the
// Double sum. Small h loses to rounding, large h to curvature (and to kinks). Worst relative error
// over input and parameters, same layers and inputs, for four steps:
//
//     step     Conv2D  Dense   BatchNorm2D  Sigmoid  Tanh    AvgPool2D  MaxPool2D  ReLU
//     1e-3     2.6e-3  2.3e-4  5.6e-3       3.4e-4   6.0e-4  9.0e-3     1e-7       0
//     3e-3     6.1e-4  8.0e-5  1.1e-3       7.1e-5   6.4e-4  1.9e-3     1e-7       0
//     1e-2     8.6e-4  2.9e-5  5.0e-4       2.7e-5   3.1e-5  5.2e-4     1e-7       0
//     3e-2     1.8e-4  1.1e-5  3.6e-4       6.3e-5   3.3e-4  2.5e-4     1e-7       1 (kink crossed)
//
// So h = 1e-2: every correct layer measured at or below ~1.1e-3 across all test shapes, while
// each planted bug (Check/PlantedBugs.swift) measured 0.6 … 1.0. The tolerance 1e-2 sits about
// one decade above the worst correct layer and nearly two below the mildest bug. Inputs for
// piecewise-linear layers must then stay 1.5·h = 0.015 away from kinks (see `gradientCheckInput`).
// Layers linear in what is perturbed (convolution, dense) have no truncation error at all, so a
// larger step only helps them: FFT convolution, whose forward rounds a little more, measured 7e-3
// at h = 1e-2 and 3e-4 at h = 0.1 (its analytic gradient equals the direct one to 1e-7).

/// The default finite-difference step: large enough that Float rounding stays small (see NOTE).
public let gradientCheckStep: Float = 1e-2

/// The default pass threshold on the relative error for Float32 checks (see NOTE).
public let gradientCheckTolerance: Float = 1e-2

/// Checks `layer.backward` against central differences on every input and parameter element.
///
/// The scalar loss is the "fake loss" of llm.c's `doc/layernorm`:
///
///     L(x, θ) = Σ_i output_i · r_i,   r ~ N(0, 1) fixed by `seed`
///
/// so ∂L/∂output = r, and every output element influences the result. For each element e of the
/// input and of every parameter, ∂L/∂e ≈ (L(e + h) − L(e − h)) / 2h, with L accumulated in Double.
///
/// Forward passes run in `mode` (`.training` by default, so batch norm uses batch statistics).
/// The layer's buffers (running statistics) are restored afterwards, and parameter gradients
/// are reset to zero before and after, so the check leaves the layer as it found it.
///
/// Kinks (ReLU at 0, max-pool ties) break finite differences: keep every input further than `step`
/// from a kink, for example with `Tensor(gradientCheckInput:step:using:)`.
///
/// NOTE: a layer that draws random numbers in training mode (`Dropout`) draws a new mask on every
/// forward pass, so its numeric gradient is meaningless; check it with `mode: .inference`, or test
/// its backward against the mask directly (as DropoutTests does).
public func gradientCheck(
  _ layer: Layer, input: Tensor, seed: UInt64 = 0, step: Float = gradientCheckStep,
  mode: Mode = .training
) throws -> GradientCheckReport {
  let savedBuffers = layer.buffers.map(\.value)
  defer { for (buffer, value) in zip(layer.buffers, savedBuffers) { buffer.value = value } }
  defer { layer.zeroGrad() }

  layer.zeroGrad()
  let output = try layer.forward(input, mode: mode)
  var generator = SeededGenerator(seed: seed)
  let gradOutput = Tensor(randomNormal: output.shape, using: &generator)
  let gradInput = try layer.backward(gradOutput)

  func loss() throws -> Double { try fakeLoss(layer.forward(input, mode: mode), gradOutput) }

  var comparisons: [GradientCheckReport.Comparison] = []
  let numericInput = try numericGradient(of: input, step: step) { x in
    try fakeLoss(layer.forward(x, mode: mode), gradOutput)
  }
  comparisons.append(try compare("input", analytic: gradInput, numeric: numericInput))

  for parameter in layer.parameters {
    let analytic = parameter.grad
    var numeric = Tensor(zeros: parameter.value.shape)
    for i in 0..<parameter.value.count {
      let original = parameter.value.scalars[i]
      parameter.value.scalars[i] = original + step
      let plus = try loss()
      parameter.value.scalars[i] = original - step
      let minus = try loss()
      parameter.value.scalars[i] = original
      numeric.scalars[i] = Float((plus - minus) / (2 * Double(step)))
    }
    comparisons.append(try compare(parameter.name, analytic: analytic, numeric: numeric))
  }
  return GradientCheckReport(comparisons: comparisons, step: step)
}

/// Checks a function and its hand-written vector-Jacobian product against central differences.
///
/// `forward` maps the input to an output; `backward(input, gradOutput)` must return ∂L/∂input for
/// the same fake loss L = Σ output · r as `gradientCheck(_:input:…)`. Handy for the pure reference
/// kernels (`Conv2D.directForward`/`directBackward`) and for small compositions.
public func gradientCheck(
  input: Tensor, seed: UInt64 = 0, step: Float = gradientCheckStep,
  forward: (Tensor) throws -> Tensor, backward: (Tensor, Tensor) throws -> Tensor
) throws -> GradientCheckReport {
  let output = try forward(input)
  var generator = SeededGenerator(seed: seed)
  let gradOutput = Tensor(randomNormal: output.shape, using: &generator)
  let analytic = try backward(input, gradOutput)
  let numeric = try numericGradient(of: input, step: step) { x in
    try fakeLoss(forward(x), gradOutput)
  }
  return GradientCheckReport(
    comparisons: [try compare("input", analytic: analytic, numeric: numeric)], step: step)
}

/// Checks a scalar loss and its gradient, such as `softmaxCrossEntropy`, against central differences.
///
/// `loss(x)` returns the loss and its analytic gradient ∂loss/∂x (same shape as x).
public func gradientCheck(
  input: Tensor, step: Float = gradientCheckStep,
  loss: (Tensor) throws -> (loss: Float, gradient: Tensor)
) throws -> GradientCheckReport {
  let analytic = try loss(input).gradient
  let numeric = try numericGradient(of: input, step: step) { x in Double(try loss(x).loss) }
  return GradientCheckReport(
    comparisons: [try compare("input", analytic: analytic, numeric: numeric)], step: step)
}

// MARK: - Pieces

/// Σ output · gradOutput, in Double so the difference of two nearby losses keeps its digits.
/// Throws when the layer's output changed shape between passes (a learner's forward, say).
func fakeLoss(_ output: Tensor, _ gradOutput: Tensor) throws -> Double {
  guard output.shape == gradOutput.shape else {
    throw CNNError("gradient check: the output changed shape from \(gradOutput.shape) to \(output.shape) between passes")
  }
  var total: Double = 0
  output.withUnsafeBufferPointer { y in
    gradOutput.withUnsafeBufferPointer { r in
      for i in 0..<y.count { total += Double(y[i]) * Double(r[i]) }
    }
  }
  return total
}

/// ∂f/∂x by central differences, one element at a time: (f(x + h·e_i) − f(x − h·e_i)) / 2h.
func numericGradient(
  of x: Tensor, step: Float, _ f: (Tensor) throws -> Double
) rethrows -> Tensor {
  var probe = x
  var gradient = Tensor(zeros: x.shape)
  for i in 0..<x.count {
    let original = probe.scalars[i]
    probe.scalars[i] = original + step
    let plus = try f(probe)
    probe.scalars[i] = original - step
    let minus = try f(probe)
    probe.scalars[i] = original
    // The step actually taken is (x + h) − (x − h) in Float, which differs from 2h when |x| ≫ h.
    let taken = Double(original + step) - Double(original - step)
    gradient.scalars[i] = Float((plus - minus) / taken)
  }
  return gradient
}

/// The relative error of one element pair.
///
///     error = |a − n| / max(floor, |a| + |n|)
///
/// The floor keeps elements whose true gradient is (nearly) zero from dividing rounding noise by
/// nothing: 1e-3 of the tensor's largest |a| + |n|, and never below 1e-8. A gradient element
/// smaller than a thousandth of its neighbours is then compared in absolute terms, on that scale.
/// Example: a weight behind a dead ReLU has a = 0 exactly and n ≈ 1e-6 of rounding noise; with a
/// 1e-8 floor alone that reads as error 1. On all the layers measured (NOTE above) the floor never
/// changed the result, so it hides nothing there.
/// Throws when backward returned a gradient of another shape than the tensor it belongs to.
func compare(_ name: String, analytic: Tensor, numeric: Tensor) throws -> GradientCheckReport.Comparison {
  guard analytic.shape == numeric.shape else {
    throw CNNError("gradient check \(name): backward returned a gradient of shape \(analytic.shape) for a tensor of shape \(numeric.shape)")
  }
  var scale: Float = 0
  for (a, n) in zip(analytic.scalars, numeric.scalars) { scale = max(scale, abs(a) + abs(n)) }
  let floor = max(1e-8, 1e-3 * scale)
  var worstRelative: Float = 0
  var worstAbsolute: Float = 0
  for (a, n) in zip(analytic.scalars, numeric.scalars) {
    let difference = abs(a - n)
    worstAbsolute = max(worstAbsolute, difference)
    worstRelative = max(worstRelative, difference / max(floor, abs(a) + abs(n)))
  }
  return .init(
    name: name, analytic: analytic, numeric: numeric,
    maxRelativeError: worstRelative, maxAbsoluteError: worstAbsolute)
}

// MARK: - Inputs away from kinks

extension Tensor {
  /// A random input that keeps central differences valid for piecewise-linear layers.
  ///
  /// All elements are distinct multiples of `3 · step` offset by `1.5 · step`, in random order:
  /// every |x| ≥ 1.5·step (ReLU's kink at 0 is never crossed by ±step) and any two elements differ
  /// by ≥ 3·step > 2·step (a max-pool window's winner never changes under ±step). The values are
  /// then spread over about [−count·1.5·step, count·1.5·step].
  public init(gradientCheckInput shape: [Int], step: Float = gradientCheckStep,
              using generator: inout SeededGenerator) {
    let count = shape.reduce(1, *)
    let spacing = 3 * step
    let order = Array(0..<count).permuted(using: &generator)
    let middle = Float(count / 2)
    self.init(shape: shape, scalars: order.map { (Float($0) - middle + 0.5) * spacing })
  }
}
