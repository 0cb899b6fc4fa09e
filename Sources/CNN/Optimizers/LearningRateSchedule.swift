// Learning-rate schedules: small values that answer "what rate for step t?". The trainer asks
// before every optimizer step (`Trainer.schedule`); nothing here holds state, so a schedule can be
// drawn, tested or shared freely. Each matches a torch.optim.lr_scheduler rule (see the fixtures).

import Foundation

/// The learning rate as a function of the step number t = 0, 1, 2, … (t counts optimizer steps,
/// not epochs; the rate of step t is used by the t-th update, counting from 0).
public protocol LearningRateSchedule: Sendable {
  func rate(atStep step: Int) -> Float
}

extension LearningRateSchedule {
  /// The rates of steps 0..<count, for drawing.
  public func rates(steps count: Int) -> [Float] { (0..<max(count, 0)).map { rate(atStep: $0) } }
}

/// The same rate at every step.
public struct ConstantRate: LearningRateSchedule {
  public let value: Float
  public init(_ value: Float) { self.value = value }
  public func rate(atStep step: Int) -> Float { value }
}

/// Step decay (PyTorch's `StepLR`): the rate is multiplied by `factor` every `stepSize` steps.
///
///     η(t) = η₀ · γ^⌊t / stepSize⌋
public struct StepDecay: LearningRateSchedule {
  public let initialRate: Float
  public let factor: Float
  public let stepSize: Int

  public init(initialRate: Float, factor: Float, stepSize: Int) throws {
    guard stepSize >= 1 else { throw CNNError("StepDecay: stepSize must be at least 1, got \(stepSize)") }
    guard factor > 0, factor.isFinite else { throw CNNError("StepDecay: factor must be positive, got \(factor)") }
    (self.initialRate, self.factor, self.stepSize) = (initialRate, factor, stepSize)
  }

  public func rate(atStep step: Int) -> Float {
    Float(Double(initialRate) * pow(Double(factor), Double(max(step, 0) / stepSize)))
  }
}

/// Linear warm-up then cosine annealing: PyTorch's `SequentialLR` of `LinearLR(startFactor, 1,
/// warmupSteps)` and `CosineAnnealingLR(T_max: totalSteps − warmupSteps, eta_min: finalRate)`.
///
///     t < W:      η(t) = η_max · (s + (1 − s) · t / W)                      (s = startFactor)
///     W ≤ t ≤ T:  η(t) = η_min + (η_max − η_min) · (1 + cos(π (t − W) / (T − W))) / 2
///     t > T:      η(t) = η_min                                  (PyTorch's cosine would rise again)
///
/// Why warm up: the first steps see large, badly scaled gradients (and Adam's v is still a
/// noisy estimate); small steps first keep them from throwing the weights far off. Why cosine:
/// large steps while far from a minimum, then a smooth glide to small steps to settle into it.
///
/// - Paper: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017,
///   https://arxiv.org/abs/1608.03983 ; warm-up: Goyal et al., 2017, https://arxiv.org/abs/1706.02677
public struct WarmupCosine: LearningRateSchedule {
  public let peakRate: Float
  public let warmupSteps: Int
  public let totalSteps: Int
  public let startFactor: Float
  public let finalRate: Float

  public init(peakRate: Float, warmupSteps: Int, totalSteps: Int, startFactor: Float = 0.01, finalRate: Float = 0) throws {
    guard warmupSteps >= 0, totalSteps > warmupSteps else {
      throw CNNError("WarmupCosine: totalSteps (\(totalSteps)) must exceed warmupSteps (\(warmupSteps)) ≥ 0")
    }
    guard startFactor > 0, startFactor <= 1 else {
      throw CNNError("WarmupCosine: startFactor must be in (0, 1], got \(startFactor)")
    }
    (self.peakRate, self.warmupSteps, self.totalSteps) = (peakRate, warmupSteps, totalSteps)
    (self.startFactor, self.finalRate) = (startFactor, finalRate)
  }

  public func rate(atStep step: Int) -> Float {
    let (peak, minimum, t) = (Double(peakRate), Double(finalRate), Double(max(step, 0)))
    if step < warmupSteps {
      let s = Double(startFactor)
      return Float(peak * (s + (1 - s) * t / Double(warmupSteps)))
    }
    if step >= totalSteps { return finalRate }
    let progress = (t - Double(warmupSteps)) / Double(totalSteps - warmupSteps)
    return Float(minimum + (peak - minimum) * (1 + cos(Double.pi * progress)) / 2)
  }
}

/// The one-cycle policy (PyTorch's `OneCycleLR`, cosine annealing, two phases, the rate only:
/// PyTorch also cycles momentum by default, this schedule does not).
///
///     η_start = η_max / divFactor,   η_end = η_start / finalDivFactor,   P = warmupFraction · T − 1
///     t ≤ P:      η(t) = cosine from η_start up to η_max over [0, P]
///     P < t:      η(t) = cosine from η_max down to η_end over [P, T − 1]        (η_end after T − 1)
///     where "cosine from a to b over [p, q]" is b + (a − b) · (1 + cos(π (t − p) / (q − p))) / 2.
///
/// Why: a long climb to a rate near the edge of divergence (found with the learning-rate finder)
/// crosses the loss landscape fast, and the long descent to a tiny rate then settles in.
///
/// - Paper: Smith & Topin, "Super-Convergence", 2017, https://arxiv.org/abs/1708.07120
public struct OneCycle: LearningRateSchedule {
  public let maxRate: Float
  public let totalSteps: Int
  public let warmupFraction: Float
  public let divFactor: Float
  public let finalDivFactor: Float

  public init(maxRate: Float, totalSteps: Int, warmupFraction: Float = 0.3, divFactor: Float = 25,
              finalDivFactor: Float = 1e4) throws {
    let peakStep = Double(warmupFraction) * Double(totalSteps) - 1
    guard peakStep > 0, peakStep < Double(totalSteps - 1) else {
      throw CNNError("OneCycle: warmupFraction × totalSteps − 1 must lie strictly between 0 and totalSteps − 1, "
        + "got \(warmupFraction) × \(totalSteps) − 1 = \(peakStep)")
    }
    guard divFactor > 0, finalDivFactor > 0 else {
      throw CNNError("OneCycle: divFactor and finalDivFactor must be positive, got \(divFactor) and \(finalDivFactor)")
    }
    (self.maxRate, self.totalSteps, self.warmupFraction) = (maxRate, totalSteps, warmupFraction)
    (self.divFactor, self.finalDivFactor) = (divFactor, finalDivFactor)
  }

  public func rate(atStep step: Int) -> Float {
    let peak = Double(maxRate)
    let start = peak / Double(divFactor)
    let end = start / Double(finalDivFactor)
    // PyTorch computes the phase boundary in float: P = pct · T − 1 (need not be an integer).
    let peakStep = Double(warmupFraction) * Double(totalSteps) - 1
    let lastStep = Double(totalSteps - 1)
    let t = Double(max(step, 0))
    func cosine(from a: Double, to b: Double, over p: Double, _ q: Double) -> Double {
      b + (a - b) * (1 + cos(Double.pi * (t - p) / (q - p))) / 2
    }
    if t <= peakStep { return Float(cosine(from: start, to: peak, over: 0, peakStep)) }
    if t <= lastStep { return Float(cosine(from: peak, to: end, over: peakStep, lastStep)) }
    return Float(end)
  }
}
