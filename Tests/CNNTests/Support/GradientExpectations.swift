// Test helpers around the library's gradient checker: run it, print the per-tensor errors (the
// report quotes them), and expect every tensor under the stated tolerance.

import Testing
@testable import CNN

/// Gradient-checks `layer` on a kink-free random input of `shape` and expects every tensor's
/// relative error ≤ `tolerance` (default: the library's measured Float32 threshold, 1e-2).
@discardableResult
func expectGradientsMatch(
  _ layer: Layer, input shape: [Int], seed: UInt64 = 1, tolerance: Float = gradientCheckTolerance,
  smooth: Bool = false, step: Float = gradientCheckStep, label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> GradientCheckReport {
  var rng = SeededGenerator(seed: seed)
  // Smooth layers get normal inputs; piecewise-linear ones need inputs away from their kinks.
  let input = smooth
    ? Tensor(randomNormal: shape, using: &rng)
    : Tensor(gradientCheckInput: shape, step: step, using: &rng)
  let report = try gradientCheck(layer, input: input, seed: seed &+ 100, step: step)
  print("gradcheck \(label) \(shape): \(report.entries.map { "\($0.name)=\($0.maxRelativeError)" }.joined(separator: " "))")
  #expect(
    report.maxRelativeError <= tolerance,
    "\(label) \(shape) gradient check failed:\n\(report)", sourceLocation: sourceLocation)
  return report
}
