// Grader of exercise 5: YourCode.denseBackward, reluBackward and softmaxCrossEntropy against PyTorch
// (F.linear and F.cross_entropy fixtures, including logits near 1000), gradient checks of each,
// batch 1, and ReLU's gradient at exactly 0. Planted mistakes: the bias gradient averaged instead
// of summed, ReLU's gradient multiplied by the input, the loss gradient without its 1/N, softmax
// without subtracting the row maximum.

import CNN
import Foundation

/// The functions of exercise 5, as values.
struct BackpropagationSolution {
  var denseBackward: (_ gradOutput: Tensor, _ input: Tensor, _ weight: Tensor) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)
  var reluBackward: (_ gradOutput: Tensor, _ input: Tensor) throws -> Tensor
  var softmaxCrossEntropy: (_ logits: Tensor, _ labels: [Int]) throws -> (loss: Float, gradLogits: Tensor)
}

var backpropagationExercise: Exercise {
  Exercise(
    number: 5, slug: "backpropagation", title: "Dense and ReLU backward, softmax cross-entropy",
    file: "Lessons/Exercises/Exercise05-Backpropagation.swift",
    functions: ["YourCode.denseBackward", "YourCode.reluBackward", "YourCode.softmaxCrossEntropy"],
    references: ["Sources/CNN/Layers/Dense.swift", "Sources/CNN/Layers/ReLU.swift", "Sources/CNN/Losses/SoftmaxCrossEntropy.swift"],
    task: """
      Write the backward passes of a dense layer and of ReLU, and the softmax cross-entropy loss \
      with its gradient: the three pieces chapter 5 backpropagates through.
      """,
    grader: ExerciseGrader(
      yours: BackpropagationSolution(
        denseBackward: YourCode.denseBackward, reluBackward: YourCode.reluBackward,
        softmaxCrossEntropy: YourCode.softmaxCrossEntropy),
      reference: BackpropagationGrader.reference,
      mistakes: [
        PlantedMistake(name: "bias-gradient-averaged", solution: {
          var solution = BackpropagationGrader.reference
          solution.denseBackward = { g, x, w in try BackpropagationGrader.averagedBias(g, x, w) }
          return solution
        }(), expectedHint: "sums over the batch"),
        PlantedMistake(name: "relu-times-input", solution: {
          var solution = BackpropagationGrader.reference
          solution.reluBackward = { g, x in BackpropagationGrader.timesInput(g, x) }
          return solution
        }(), expectedHint: "mask"),
        PlantedMistake(name: "loss-gradient-without-mean", solution: {
          var solution = BackpropagationGrader.reference
          solution.softmaxCrossEntropy = { z, labels in try BackpropagationGrader.withoutMean(z, labels) }
          return solution
        }(), expectedHint: "1/N"),
        PlantedMistake(name: "softmax-without-max", solution: {
          var solution = BackpropagationGrader.reference
          solution.softmaxCrossEntropy = { z, labels in BackpropagationGrader.withoutMax(z, labels) }
          return solution
        }(), expectedHint: "row's maximum"),
      ],
      checks: BackpropagationGrader.checks))
}

enum BackpropagationGrader {
  static let denseName = "YourCode.denseBackward"
  static let reluName = "YourCode.reluBackward"
  static let lossName = "YourCode.softmaxCrossEntropy"

  static var reference: BackpropagationSolution {
    BackpropagationSolution(
      denseBackward: { g, x, w in
        var generator = SeededGenerator(seed: 0)
        let layer = try Dense(inputSize: w.shape[1], outputSize: w.shape[0], using: &generator)
        layer.weight.value = w
        _ = try layer.forward(x, mode: .training)
        let gradInput = try layer.backward(g)
        return (gradInput, layer.weight.grad, layer.bias.grad)
      },
      reluBackward: { g, x in
        let layer = ReLU()
        _ = try layer.forward(x, mode: .training)
        return try layer.backward(g)
      },
      softmaxCrossEntropy: { z, labels in try CNN.softmaxCrossEntropy(logits: z, labels: labels) })
  }

  // Planted mistakes, one line away from the reference each.
  static func averagedBias(_ g: Tensor, _ x: Tensor, _ w: Tensor) throws -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    let right = try reference.denseBackward(g, x, w)
    return (right.gradInput, right.gradWeight, right.gradBias * (1 / Float(g.shape[0])))  // BUG: mean, not sum
  }
  static func timesInput(_ g: Tensor, _ x: Tensor) -> Tensor {
    Tensor(shape: g.shape) { i in x.scalars[i] > 0 ? g.scalars[i] * x.scalars[i] : 0 }  // BUG: × input, not × 1
  }
  static func withoutMean(_ z: Tensor, _ labels: [Int]) throws -> (loss: Float, gradLogits: Tensor) {
    let right = try CNN.softmaxCrossEntropy(logits: z, labels: labels)
    return (right.loss, right.gradLogits * Float(z.shape[0]))  // BUG: the gradient of the sum, not the mean
  }
  static func withoutMax(_ z: Tensor, _ labels: [Int]) -> (loss: Float, gradLogits: Tensor) {
    let (rows, columns) = (z.shape[0], z.shape[1])
    var gradient = z
    var total: Float = 0
    for n in 0..<rows {
      let exps = (0..<columns).map { expf(z[n, $0]) }  // BUG: e^z without subtracting the row max
      let sum = exps.reduce(0, +)
      total -= logf(exps[labels[n]] / sum)
      for j in 0..<columns { gradient[n, j] = (exps[j] / sum - (j == labels[n] ? 1 : 0)) / Float(rows) }
    }
    return (total / Float(rows), gradient)
  }

  static let denseHint = """
    gradInput = gradOutput · weight (N, I), gradWeight[o, i] = Σ_n gradOutput[n, o] · input[n, i], \
    gradBias[o] = Σ_n gradOutput[n, o]. Check which index each sum runs over.
    """
  static let biasHint = "Your bias gradient is averaged: it sums over the batch (each of the N rows added the same bias), no 1/N."
  static let reluHint = "gradInput = gradOutput where input > 0, and 0 elsewhere (also at exactly 0, as PyTorch)."
  static let reluTimesInputHint = "Your ReLU backward multiplies by the input: the derivative of max(0, x) is the mask 1[x > 0], not x."
  static let lossHint = """
    p = softmax of each row (after subtracting its max); loss = −(1/N) Σ_n log p[n, label_n]; \
    gradLogits = (p − onehot) / N.
    """
  static let meanHint = "Your gradient is N times too large: the loss is a mean over the batch, so gradLogits = (p − onehot) / N carries the 1/N too."
  static let maxHint = "Large logits overflow: subtract each row's maximum before exp (it cancels in the softmax), and take log p as (z − max) − log Σ e^(z − max)."

  /// The dense cases of one fixture or random draw.
  static func denseCase(_ fixture: Fixture) throws -> (g: Tensor, x: Tensor, w: Tensor) {
    (try fixture.tensor("gradOutput"), try fixture.tensor("input"), try fixture.tensor("weight"))
  }

  static func denseFixtureCheck(_ part: String) -> GradedCheck<BackpropagationSolution> {
    let name = "dense \(part), PyTorch F.linear (N 4, I 7, O 5)"
    return GradedCheck(name: name, function: denseName, hint: denseHint) { solution in
      let fixture = try Fixture.pyTorch("dense")
      let (g, x, w) = try denseCase(fixture)
      let yours = try solution.denseBackward(g, x, w)
      let averaged = try averagedBias(g, x, w)
      switch part {
      case "gradInput":
        return judgeTensor(name, function: denseName, yours: yours.gradInput, expected: try fixture.tensor("gradInput"),
                           against: "PyTorch", hint: denseHint)
      case "gradWeight":
        return judgeTensor(name, function: denseName, yours: yours.gradWeight, expected: try fixture.tensor("gradWeight"),
                           against: "PyTorch", hint: denseHint)
      default:
        return judgeTensor(name, function: denseName, yours: yours.gradBias, expected: try fixture.tensor("gradBias"),
                           against: "PyTorch", hint: denseHint, mistakes: [(averaged.gradBias, biasHint)])
      }
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<BackpropagationSolution>] {
    var generator = SeededGenerator(seed: seed)
    let denseInput = Tensor(randomNormal: [3, 5], using: &generator)
    let denseWeight = Tensor(randomNormal: [4, 5], using: &generator)
    let denseBias = Tensor(randomNormal: [4], using: &generator)
    let singleInput = Tensor(randomNormal: [1, 6], using: &generator)
    let singleWeight = Tensor(randomNormal: [2, 6], using: &generator)
    let singleGradient = Tensor(randomNormal: [1, 2], using: &generator)
    let reluInput = Tensor(gradientCheckInput: [2, 3, 4, 5], using: &generator)
    let logits = Tensor(randomNormal: [3, 4], standardDeviation: 2, using: &generator)
    let labels = [2, 0, 3]
    func dense(_ x: Tensor, _ w: Tensor, _ b: Tensor) throws -> Tensor {
      var g = SeededGenerator(seed: 0)
      let layer = try Dense(inputSize: w.shape[1], outputSize: w.shape[0], using: &g)
      layer.weight.value = w
      layer.bias.value = b
      return try layer.forward(x, mode: .inference)
    }
    return [
      denseFixtureCheck("gradInput"),
      denseFixtureCheck("gradWeight"),
      denseFixtureCheck("gradBias"),
      GradedCheck(name: "dense gradInput, gradient check (N 3, I 5, O 4)", function: denseName, hint: denseHint) { solution in
        try judgeGradient("dense gradInput, gradient check (N 3, I 5, O 4)", function: denseName, input: denseInput, seed: seed,
                          forward: { try dense($0, denseWeight, denseBias) },
                          yourBackward: { x, g in try solution.denseBackward(g, x, denseWeight).gradInput }, hint: denseHint)
      },
      GradedCheck(name: "dense gradWeight, gradient check (N 3, I 5, O 4)", function: denseName, hint: denseHint) { solution in
        try judgeGradient("dense gradWeight, gradient check (N 3, I 5, O 4)", function: denseName, input: denseWeight, seed: seed,
                          forward: { try dense(denseInput, $0, denseBias) },
                          yourBackward: { w, g in try solution.denseBackward(g, denseInput, w).gradWeight }, hint: denseHint)
      },
      GradedCheck(name: "dense gradBias, gradient check (N 3)", function: denseName, hint: denseHint) { solution in
        try judgeGradient("dense gradBias, gradient check (N 3)", function: denseName, input: denseBias, seed: seed,
                          forward: { try dense(denseInput, denseWeight, $0) },
                          yourBackward: { _, g in try solution.denseBackward(g, denseInput, denseWeight).gradBias }, hint: denseHint,
                          mistakes: [({ _, g in try averagedBias(g, denseInput, denseWeight).gradBias }, biasHint)])
      },
      GradedCheck(name: "dense, batch 1: all three gradients", function: denseName, hint: denseHint) { solution in
        let g = singleGradient
        let yours = try solution.denseBackward(g, singleInput, singleWeight)
        let right = try reference.denseBackward(g, singleInput, singleWeight)
        let joined = { (t: (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)) in
          Tensor(shape: [t.gradInput.count + t.gradWeight.count + t.gradBias.count],
                 scalars: t.gradInput.scalars + t.gradWeight.scalars + t.gradBias.scalars)
        }
        guard yours.gradInput.shape == [1, 6], yours.gradWeight.shape == [2, 6], yours.gradBias.shape == [2] else {
          return judgeCondition("dense, batch 1: all three gradients", function: denseName, false,
                                expected: "shapes [1, 6], [2, 6], [2]",
                                measured: "shapes \(yours.gradInput.shape), \(yours.gradWeight.shape), \(yours.gradBias.shape)",
                                hint: denseHint)
        }
        return judgeTensor("dense, batch 1: all three gradients", function: denseName, yours: joined(yours),
                           expected: joined(right), hint: denseHint)
      },
      GradedCheck(name: "ReLU backward, gradient check (inputs away from 0, 2x3x4x5)", function: reluName, hint: reluHint) { solution in
        try judgeGradient("ReLU backward, gradient check (inputs away from 0, 2x3x4x5)", function: reluName, input: reluInput,
                          seed: seed, forward: { $0.map { max($0, 0) } },
                          yourBackward: { x, g in try solution.reluBackward(g, x) }, hint: reluHint,
                          mistakes: [({ x, g in timesInput(g, x) }, reluTimesInputHint)])
      },
      GradedCheck(name: "ReLU backward at exactly 0 gives 0 (as PyTorch)", function: reluName, hint: reluHint) { solution in
        let x = Tensor(shape: [2, 4], scalars: [0, 1, -1, 0, 2, 0, -3, 0.5])
        let g = Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        return judgeTensor("ReLU backward at exactly 0 gives 0 (as PyTorch)", function: reluName,
                           yours: try solution.reluBackward(g, x), expected: try reference.reluBackward(g, x),
                           hint: reluHint + " At x = 0 exactly, pass 0.", mistakes: [(timesInput(g, x), reluTimesInputHint)])
      },
      GradedCheck(name: "softmax cross-entropy loss, PyTorch F.cross_entropy (N 6, 10 classes)", function: lossName, hint: lossHint) { solution in
        let fixture = try Fixture.pyTorch("softmax_cross_entropy")
        return judgeNumber("softmax cross-entropy loss, PyTorch F.cross_entropy (N 6, 10 classes)", function: lossName,
                           yours: try solution.softmaxCrossEntropy(fixture.tensor("logits"), fixture.ints("labels")).loss,
                           expected: try fixture.float("loss"), against: "PyTorch", tolerance: 1e-5, hint: lossHint)
      },
      GradedCheck(name: "softmax cross-entropy gradient, PyTorch (N 6, 10 classes)", function: lossName, hint: lossHint) { solution in
        let fixture = try Fixture.pyTorch("softmax_cross_entropy")
        let (z, labels) = (try fixture.tensor("logits"), try fixture.ints("labels"))
        return judgeTensor("softmax cross-entropy gradient, PyTorch (N 6, 10 classes)", function: lossName,
                           yours: try solution.softmaxCrossEntropy(z, labels).gradLogits, expected: try fixture.tensor("gradLogits"),
                           against: "PyTorch", hint: lossHint, mistakes: [(try withoutMean(z, labels).gradLogits, meanHint)])
      },
      GradedCheck(name: "logits near 1000: loss and gradient stay finite and match PyTorch", function: lossName, hint: maxHint) { solution in
        let fixture = try Fixture.pyTorch("softmax_cross_entropy_large")
        let (z, labels) = (try fixture.tensor("logits"), try fixture.ints("labels"))
        let yours = try solution.softmaxCrossEntropy(z, labels)
        let loss = judgeNumber("logits near 1000: loss and gradient stay finite and match PyTorch", function: lossName,
                               yours: yours.loss, expected: try fixture.float("loss"), against: "PyTorch", tolerance: 1e-5,
                               hint: yours.loss.isFinite ? lossHint : maxHint)
        if !loss.passed { return loss }
        return judgeTensor("logits near 1000: loss and gradient stay finite and match PyTorch", function: lossName,
                           yours: yours.gradLogits, expected: try fixture.tensor("gradLogits"), against: "PyTorch",
                           hint: yours.gradLogits.scalars.allSatisfy(\.isFinite) ? lossHint : maxHint)
      },
      GradedCheck(name: "softmax cross-entropy, gradient check of your loss (N 3, 4 classes)", function: lossName, hint: lossHint) { solution in
        var thrown: Error?
        var wrongShape: [Int]?
        let report = try gradientCheck(input: logits) { z in
          do {
            let result = try solution.softmaxCrossEntropy(z, labels)
            if result.gradLogits.shape == z.shape { return (result.loss, result.gradLogits) }
            wrongShape = result.gradLogits.shape
          } catch {
            thrown = error
          }
          return (0, Tensor(zeros: z.shape))
        }
        if let thrown { throw thrown }
        if let wrongShape {
          return judgeCondition("softmax cross-entropy, gradient check of your loss (N 3, 4 classes)", function: lossName, false,
                                expected: "gradLogits of shape \(logits.shape)", measured: "shape \(wrongShape)", hint: lossHint)
        }
        let comparison = report.comparisons[0]
        return judgeTensor("softmax cross-entropy, gradient check of your loss (N 3, 4 classes)", function: lossName,
                           yours: comparison.analytic, expected: comparison.numeric, against: "central differences of your loss",
                           tolerance: 1e-2, hint: lossHint, mistakes: [(try withoutMean(logits, labels).gradLogits, meanHint)])
      },
    ]
  }
}
