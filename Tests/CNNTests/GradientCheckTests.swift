import Testing
@testable import CNN

@Test("gradient checker: exact on a linear function, and the step is honoured")
func checkerOnLinearFunction() throws {
  // f(x) = 3x: the analytic vector-Jacobian product is 3 · gradOutput.
  let input = Tensor(shape: [2, 3], scalars: [0.5, -1, 2, 0.25, 3, -2])
  let good = try gradientCheck(input: input, forward: { $0 * 3 }, backward: { _, g in g * 3 })
  #expect(good.maxRelativeError < 1e-4)
  let bad = try gradientCheck(input: input, forward: { $0 * 3 }, backward: { _, g in g * 2 })
  #expect(bad.maxRelativeError > 0.1)
}

@Test("gradient checker: input helper keeps away from kinks and ties")
func kinkFreeInput() {
  var rng = SeededGenerator(seed: 3)
  for count in [1, 7, 60] {
    let x = Tensor(gradientCheckInput: [count], using: &rng)
    #expect(x.scalars.allSatisfy { abs($0) >= 1.5 * gradientCheckStep * 0.999 })
    let sorted = x.scalars.sorted()
    for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(b - a > 2 * gradientCheckStep) }
  }
}

@Test("gradient checker: loss variant on softmax cross-entropy")
func checkerOnLoss() throws {
  var rng = SeededGenerator(seed: 4)
  let logits = Tensor(randomNormal: [3, 5], using: &rng)
  let report = try gradientCheck(input: logits) { logits in
    let (loss, gradLogits) = try softmaxCrossEntropy(logits: logits, labels: [0, 4, 2])
    return (loss, gradLogits)
  }
  print("gradcheck softmaxCrossEntropy: \(report.maxRelativeError)")
  #expect(report.maxRelativeError < gradientCheckTolerance)
}

@Test("gradient checker leaves the layer as it found it")
func checkerRestoresState() throws {
  let norm = try BatchNorm2D(channels: 2)
  var rng = SeededGenerator(seed: 5)
  _ = try gradientCheck(norm, input: Tensor(randomNormal: [2, 2, 3, 3], using: &rng))
  #expect(norm.runningMean.value == Tensor(zeros: [2]))
  #expect(norm.runningVariance.value == Tensor(repeating: 1, shape: [2]))
  #expect(norm.scale.grad == Tensor(zeros: [2]))
}
