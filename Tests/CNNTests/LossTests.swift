import Foundation
import Testing
@testable import CNN

@Test("softmax rows sum to 1 and survive huge logits")
func softmaxRows() {
  let p = softmax(Tensor([[1, 2, 3], [1000, 1000, -1000]]))
  #expect(abs(p[0, 0] + p[0, 1] + p[0, 2] - 1) < 1e-6)
  #expect(abs(p[0, 2] - 0.66524096) < 1e-6)
  #expect(p.scalars[3...] == [0.5, 0.5, 0])
}

@Test("softmaxCrossEntropy: value, uniform logits give ln M, gradient literal")
func crossEntropyValues() throws {
  let uniform = try softmaxCrossEntropy(logits: Tensor(zeros: [4, 10]), labels: [0, 3, 9, 1])
  #expect(abs(uniform.loss - Float(log(10.0))) < 1e-6)
  // One row: logits (1, 2, 3), label 2 → loss = log(e¹ + e² + e³) − 3 = 0.40760596.
  let one = try softmaxCrossEntropy(logits: Tensor([[1, 2, 3]]), labels: [2])
  #expect(abs(one.loss - 0.40760596) < 1e-6)
  #expect(abs(one.gradLogits[0, 2] - (0.66524096 - 1)) < 1e-6)
  // Extreme logits: finite loss, no NaN.
  let extreme = try softmaxCrossEntropy(logits: Tensor([[1000, -1000]]), labels: [1])
  #expect(abs(extreme.loss - 2000) < 1e-2)
}

@Test("softmaxCrossEntropy refuses mismatched labels")
func crossEntropyBadInput() {
  #expect(throws: CNNError.self) { try softmaxCrossEntropy(logits: Tensor(zeros: [2, 3]), labels: [0]) }
  #expect(throws: CNNError.self) { try softmaxCrossEntropy(logits: Tensor(zeros: [1, 3]), labels: [3]) }
}

@Test("meanSquaredError: value, gradient and its gradient check")
func meanSquaredErrorValues() throws {
  let r = try meanSquaredError(Tensor([[1, 2], [3, 4]]), Tensor([[1, 0], [3, 5]]))
  #expect(r.loss == 1.25)  // (0 + 4 + 0 + 1) / 4
  #expect(r.gradient.scalars == [0, 1, 0, -0.5])
  var rng = SeededGenerator(seed: 14)
  let target = Tensor(randomNormal: [3, 4], using: &rng)
  let report = try gradientCheck(input: Tensor(randomNormal: [3, 4], using: &rng)) { try meanSquaredError($0, target) }
  print("gradcheck meanSquaredError: \(report.maxRelativeError)")
  #expect(report.maxRelativeError < gradientCheckTolerance)
  #expect(throws: CNNError.self) { try meanSquaredError(Tensor(zeros: [2]), Tensor(zeros: [3])) }
}
