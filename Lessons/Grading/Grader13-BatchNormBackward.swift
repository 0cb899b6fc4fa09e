// Grader of exercise 13: YourCode.batchNormBackward against PyTorch's autograd (the batchnorm2d
// fixture), gradient checks of dX, dγ and dβ through the library's training-mode forward, batch 1
// and a non-square map. Planted mistakes: the mean term missing from dX (the library's planted
// bug, PlantedBug.batchNormWithoutMeanTerm), dγ summed without x̂.

import CNN

/// The function of exercise 13, as a value: (gradOutput, input, γ, ε) → gradients.
struct BatchNormSolution {
  var backward: (_ gradOutput: Tensor, _ input: Tensor, _ scale: Tensor, _ epsilon: Float) throws
    -> (gradInput: Tensor, gradScale: Tensor, gradOffset: Tensor)
}

var batchNormExercise: Exercise {
  Exercise(
    number: 13, slug: "batch-norm-backward", title: "Batch norm backward (training mode)",
    file: "Lessons/Exercises/Exercise13-BatchNormBackward.swift", functions: ["YourCode.batchNormBackward"],
    references: ["Sources/CNN/Layers/BatchNorm2D.swift", "Sources/CNN/Check/PlantedBugs.swift"],
    task: """
      Write the training-mode backward pass of batch normalisation: the gradients of γ and β, and \
      the input gradient with its two terms from the batch mean and variance.
      """,
    grader: ExerciseGrader(
      yours: BatchNormSolution(backward: YourCode.batchNormBackward),
      reference: BatchNormSolution(backward: BatchNormGrader.libraryBackward),
      mistakes: [
        PlantedMistake(name: "mean-term-missing", solution: BatchNormSolution(backward: BatchNormGrader.withoutMeanTerm),
                       expectedHint: "mean term"),
        PlantedMistake(name: "scale-gradient-without-xhat", solution: BatchNormSolution { g, x, gamma, epsilon in
          let right = try BatchNormGrader.libraryBackward(g, x, gamma, epsilon)
          return (right.gradInput, right.gradOffset, right.gradOffset)  // BUG: dγ = Σ dY, without x̂
        }, expectedHint: "x̂"),
      ],
      checks: BatchNormGrader.checks))
}

enum BatchNormGrader {
  static let function = "YourCode.batchNormBackward"
  typealias Gradients = (gradInput: Tensor, gradScale: Tensor, gradOffset: Tensor)

  static func layer(_ gamma: Tensor, _ epsilon: Float, _ beta: Tensor? = nil) throws -> BatchNorm2D {
    let layer = try BatchNorm2D(channels: gamma.count, epsilon: epsilon)
    layer.scale.value = gamma
    if let beta { layer.offset.value = beta }
    return layer
  }

  /// The library's layer: a training-mode forward, then its backward.
  static func libraryBackward(_ g: Tensor, _ x: Tensor, _ gamma: Tensor, _ epsilon: Float) throws -> Gradients {
    let layer = try layer(gamma, epsilon)
    _ = try layer.forward(x, mode: .training)
    let gradInput = try layer.backward(g)
    return (gradInput, layer.scale.grad, layer.offset.grad)
  }

  /// Chapter 6's kind of planted bug for batch norm: the library's `PlantedBug` layer.
  static func withoutMeanTerm(_ g: Tensor, _ x: Tensor, _ gamma: Tensor, _ epsilon: Float) throws -> Gradients {
    let layer = PlantedBug.batchNormWithoutMeanTerm(channels: gamma.count)
    layer.parameters[0].value = gamma
    _ = try layer.forward(x, mode: .training)
    let gradInput = try layer.backward(g)
    return (gradInput, layer.parameters[0].grad, layer.parameters[1].grad)
  }

  static let hint = """
    gradInput = γ/√(σ² + ε) · (dY − mean(dY) − x̂ · mean(dY · x̂)) per channel, the means over \
    n, h, w; gradScale = Σ dY · x̂; gradOffset = Σ dY.
    """
  static let meanHint = """
    Your gradInput misses the mean term: μ depends on every input of the channel, which subtracts \
    (1/M) Σ dY inside the bracket.
    """
  static let scaleHint = "Your gradScale equals gradOffset: ∂L/∂γ = Σ dY · x̂, since γ multiplies x̂."

  enum Part: String { case gradInput = "dX", gradScale = "dγ", gradOffset = "dβ" }

  static func pick(_ gradients: Gradients, _ part: Part) -> Tensor {
    switch part {
    case .gradInput: gradients.gradInput
    case .gradScale: gradients.gradScale
    case .gradOffset: gradients.gradOffset
    }
  }

  static func mistakes(_ g: Tensor, _ x: Tensor, _ gamma: Tensor, _ epsilon: Float, _ part: Part) -> [(result: Tensor, hint: String)] {
    switch part {
    case .gradInput: (try? withoutMeanTerm(g, x, gamma, epsilon)).map { [($0.gradInput, meanHint)] } ?? []
    case .gradScale: (try? libraryBackward(g, x, gamma, epsilon)).map { [($0.gradOffset, scaleHint)] } ?? []
    case .gradOffset: []
    }
  }

  static func fixtureCheck(_ part: Part) -> GradedCheck<BatchNormSolution> {
    let name = "\(part.rawValue), PyTorch nn.BatchNorm2d (N 4, C 3, 5x4), training mode"
    return GradedCheck(name: name, function: function, hint: hint) { solution in
      let fixture = try Fixture.pyTorch("batchnorm2d")
      let step = try fixture.children("steps")[0]
      let (x, g) = (try step.tensor("input"), try step.tensor("gradOutput"))
      let (gamma, epsilon) = (try fixture.tensor("scale"), try fixture.float("epsilon"))
      let key = part == .gradInput ? "gradInput" : part == .gradScale ? "gradScale" : "gradOffset"
      return judgeTensor(name, function: function, yours: pick(try solution.backward(g, x, gamma, epsilon), part),
                         expected: try step.tensor(key), against: "PyTorch", hint: hint,
                         mistakes: mistakes(g, x, gamma, epsilon, part))
    }
  }

  static func gradientCheckCase(_ shape: [Int], part: Part, seed: UInt64) -> GradedCheck<BatchNormSolution> {
    let name = "\(part.rawValue), gradient check: N \(shape[0]), C \(shape[1]), \(shape[2])x\(shape[3])"
    return GradedCheck(name: name, function: function, hint: hint) { solution in
      // NOTE: not SeededGenerator(seed: seed) itself: the checker draws its gradOutput from that
      // seed, and an input made of the same normal draws makes gradOutput an affine function of x̂,
      // for which batch norm's dX is exactly 0.
      var generator = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 13)
      let x = Tensor(randomNormal: shape, mean: 0.5, standardDeviation: 2, using: &generator)
      let gamma = Tensor(randomNormal: [shape[1]], mean: 1, standardDeviation: 0.3, using: &generator)
      let beta = Tensor(randomNormal: [shape[1]], using: &generator)
      let epsilon: Float = 1e-5
      func forward(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor) throws -> Tensor {
        try layer(gamma, epsilon, beta).forward(x, mode: .training)
      }
      switch part {
      case .gradInput:
        return try judgeGradient(
          name, function: function, input: x, seed: seed, forward: { try forward($0, gamma, beta) },
          yourBackward: { x, g in try solution.backward(g, x, gamma, epsilon).gradInput }, hint: hint,
          mistakes: [({ x, g in try withoutMeanTerm(g, x, gamma, epsilon).gradInput }, meanHint)])
      case .gradScale:
        return try judgeGradient(
          name, function: function, input: gamma, seed: seed, forward: { try forward(x, $0, beta) },
          yourBackward: { gamma, g in try solution.backward(g, x, gamma, epsilon).gradScale }, hint: hint,
          mistakes: [({ gamma, g in try libraryBackward(g, x, gamma, epsilon).gradOffset }, scaleHint)])
      case .gradOffset:
        return try judgeGradient(
          name, function: function, input: beta, seed: seed, forward: { try forward(x, gamma, $0) },
          yourBackward: { _, g in try solution.backward(g, x, gamma, epsilon).gradOffset }, hint: hint)
      }
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<BatchNormSolution>] {
    let parts: [Part] = [.gradInput, .gradScale, .gradOffset]
    var checks = parts.map(fixtureCheck)
    for (index, shape) in [[3, 2, 4, 4], [1, 2, 3, 5]].enumerated() {  // a batch; batch 1, non-square
      checks += parts.map { gradientCheckCase(shape, part: $0, seed: seed &+ UInt64(index)) }
    }
    return checks
  }
}
