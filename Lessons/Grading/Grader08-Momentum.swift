// Grader of exercise 8: YourCode.sgdMomentumStep threaded through several steps and compared with
// the library's SGD optimizer (constant and changing learning rates, weight decay) and with
// torch.optim.SGD on a dense layer (the committed optimizers_tiny fixture). Planted mistakes:
// Sutskever's form (the rate folded into the velocity), weight decay applied after momentum,
// a step up the gradient.

import CNN

/// The function of exercise 8, as a value: (θ, gradient, b, learning rate, momentum, weight decay) → (θ′, b′).
struct MomentumSolution {
  var step: (_ weights: Tensor, _ gradient: Tensor, _ velocity: Tensor, _ learningRate: Float, _ momentum: Float,
             _ weightDecay: Float) throws -> (weights: Tensor, velocity: Tensor)
}

var momentumExercise: Exercise {
  Exercise(
    number: 8, slug: "sgd-momentum", title: "One step of SGD with momentum",
    file: "Lessons/Exercises/Exercise08-Momentum.swift", functions: ["YourCode.sgdMomentumStep"],
    references: ["Sources/CNN/Optimizers/SGD.swift"],
    task: """
      Write one update of SGD with momentum and weight decay in PyTorch's form: fold the decay \
      into the gradient, update the velocity, step the weights against it.
      """,
    grader: ExerciseGrader(
      yours: MomentumSolution(step: YourCode.sgdMomentumStep),
      reference: MomentumSolution(step: MomentumGrader.libraryStep),
      mistakes: [
        PlantedMistake(name: "sutskever-form", solution: MomentumSolution { w, g, b, lr, mu, decay in
          let velocity = b * mu + (g + w * decay) * lr  // BUG: the rate folded into the velocity
          return (w - velocity, velocity)
        }, expectedHint: "Sutskever"),
        PlantedMistake(name: "decay-after-momentum", solution: MomentumSolution { w, g, b, lr, mu, decay in
          let velocity = b * mu + g  // BUG: the decay skips the velocity
          return (w - (velocity + w * decay) * lr, velocity)
        }, expectedHint: "weight decay"),
        PlantedMistake(name: "step-up-the-gradient", solution: MomentumSolution { w, g, b, lr, mu, decay in
          let velocity = b * mu + (g + w * decay)
          return (w + velocity * lr, velocity)  // BUG: + instead of −
        }, expectedHint: "against the gradient"),
      ],
      checks: MomentumGrader.checks))
}

enum MomentumGrader {
  static let function = "YourCode.sgdMomentumStep"

  /// The library's `SGD` taken for one step from a given velocity: a first step on θ = 0 with
  /// gradient b leaves exactly b in its momentum buffer (PyTorch's first step stores g itself),
  /// then the real step runs. The velocity it returns is (θ − θ′) / lr, exact up to rounding.
  static func libraryStep(
    _ w: Tensor, _ g: Tensor, _ b: Tensor, _ lr: Float, _ mu: Float, _ decay: Float
  ) throws -> (weights: Tensor, velocity: Tensor) {
    let parameter = Parameter(name: "θ", value: Tensor(zeros: w.shape))
    let optimizer = try SGD(parameters: [parameter], learningRate: 0, momentum: mu, weightDecay: decay)
    parameter.grad = b
    optimizer.step()  // buffer = b + decay · 0 = b; θ stays 0 (learning rate 0)
    parameter.value = w
    parameter.grad = g
    optimizer.learningRate = lr
    optimizer.step()
    // The new velocity by its definition (the optimizer keeps its buffer private).
    let velocity = b * mu + (g + w * decay)
    return (parameter.value, velocity)
  }

  static let hint = "g = gradient + weightDecay · θ; b′ = momentum · b + g; θ′ = θ − learningRate · b′."
  static let sutskeverHint = """
    Your update folds the learning rate into the velocity (Sutskever's form, b′ = μ·b + lr·g). \
    PyTorch's form keeps b′ = μ·b + g and multiplies by lr only in θ′ = θ − lr·b′: the two \
    differ as soon as the learning rate changes.
    """
  static let decayHint = "Your weight decay skips the velocity: add weightDecay · θ to the gradient first, then update the velocity with it."
  static let signHint = "Your weights move up the gradient: step against the gradient, θ′ = θ − learningRate · b′."

  /// The learner's function threaded through `gradients` from zero velocity.
  static func trace(
    _ solution: MomentumSolution, start: Tensor, gradients: [Tensor], rates: [Float], momentum: Float, decay: Float
  ) throws -> (weights: Tensor, velocity: Tensor) {
    var (w, b) = (start, Tensor(zeros: start.shape))
    for (g, lr) in zip(gradients, rates) {
      let next = try solution.step(w, g, b, lr, momentum, decay)
      (w, b) = next
      if w.shape != start.shape || b.shape != start.shape { break }  // judged (and reported) by the caller
    }
    return (w, b)
  }

  /// The library's SGD over the same steps.
  static func libraryTrace(start: Tensor, gradients: [Tensor], rates: [Float], momentum: Float, decay: Float) throws -> Tensor {
    let parameter = Parameter(name: "θ", value: start)
    let optimizer = try SGD(parameters: [parameter], learningRate: rates[0], momentum: momentum, weightDecay: decay)
    for (g, lr) in zip(gradients, rates) {
      parameter.grad = g
      optimizer.learningRate = lr
      optimizer.step()
    }
    return parameter.value
  }

  /// Known wrong results for the same steps, named by their hints.
  static func mistakes(start: Tensor, gradients: [Tensor], rates: [Float], momentum: Float, decay: Float) -> [(result: Tensor, hint: String)] {
    let wrong: [(MomentumSolution, String)] = [
      (MomentumSolution { w, g, b, lr, mu, decay in let v = b * mu + (g + w * decay) * lr; return (w - v, v) }, sutskeverHint),
      (MomentumSolution { w, g, b, lr, mu, decay in let v = b * mu + g; return (w - (v + w * decay) * lr, v) }, decayHint),
      (MomentumSolution { w, g, b, lr, mu, decay in let v = b * mu + (g + w * decay); return (w + v * lr, v) }, signHint),
    ]
    return wrong.compactMap { solution, hint in
      (try? trace(solution, start: start, gradients: gradients, rates: rates, momentum: momentum, decay: decay).weights).map { ($0, hint) }
    }
  }

  static func traceCheck(
    _ name: String, steps: Int, rates: [Float], momentum: Float, decay: Float, seed: UInt64, velocityToo: Bool = false
  ) -> GradedCheck<MomentumSolution> {
    GradedCheck(name: name, function: function, hint: hint) { solution in
      var generator = SeededGenerator(seed: seed)
      let start = Tensor(randomNormal: [3, 4], using: &generator)
      let gradients = (0..<steps).map { _ in Tensor(randomNormal: [3, 4], using: &generator) }
      let rateList = (0..<steps).map { rates[min($0, rates.count - 1)] }
      let yours = try trace(solution, start: start, gradients: gradients, rates: rateList, momentum: momentum, decay: decay)
      let weights = judgeTensor(
        name, function: function, yours: yours.weights,
        expected: try libraryTrace(start: start, gradients: gradients, rates: rateList, momentum: momentum, decay: decay),
        against: "the library's SGD", tolerance: 1e-5, hint: hint,
        mistakes: mistakes(start: start, gradients: gradients, rates: rateList, momentum: momentum, decay: decay))
      guard velocityToo, weights.passed else { return weights }
      // The velocity after the steps, from its definition: b = Σ_t μ^(T−1−t) (g_t + λθ_t).
      var (w, b) = (start, Tensor(zeros: start.shape))
      for (g, lr) in zip(gradients, rateList) {
        b = b * momentum + (g + w * decay)
        w = w - b * lr
      }
      return judgeTensor(name, function: function, yours: yours.velocity, expected: b, against: "b′ = μ·b + g",
                         tolerance: 1e-5, hint: sutskeverHint)
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<MomentumSolution>] {
    [
      traceCheck("first step from zero velocity: θ − lr·g (lr 0.1, μ 0.9)", steps: 1, rates: [0.1], momentum: 0.9, decay: 0, seed: seed),
      traceCheck("three steps: the velocity accumulates μ·b + g", steps: 3, rates: [0.1], momentum: 0.9, decay: 0, seed: seed &+ 1),
      traceCheck("the returned velocity is μ·b + g, without the learning rate", steps: 2, rates: [0.1], momentum: 0.9, decay: 0,
                 seed: seed &+ 2, velocityToo: true),
      traceCheck("weight decay 0.01 folds into the gradient before momentum", steps: 3, rates: [0.1], momentum: 0.9, decay: 0.01,
                 seed: seed &+ 3),
      traceCheck("a learning rate changed between steps (0.1, 0.05, 0.02, 0.01)", steps: 4, rates: [0.1, 0.05, 0.02, 0.01],
                 momentum: 0.9, decay: 0, seed: seed &+ 4),
      traceCheck("momentum 0 is plain SGD", steps: 2, rates: [0.5], momentum: 0, decay: 0, seed: seed &+ 5),
      GradedCheck(name: "five steps on a dense layer match torch.optim.SGD(lr=0.1, momentum=0.9)", function: function, hint: hint) { solution in
        let name = "five steps on a dense layer match torch.optim.SGD(lr=0.1, momentum=0.9)"
        let fixture = try Fixture.pyTorch("optimizers_tiny")
        guard let run = try fixture.children("runs").first(where: {
          try $0.string("optimizer") == "sgd" && !(try $0.bool("nesterov")) && (try $0.float("weightDecay")) == 0
        }) else { throw CNNError("fixture optimizers_tiny has no plain SGD-momentum run") }
        let (input, target) = (try fixture.tensor("input"), try fixture.tensor("target"))
        var generator = SeededGenerator(seed: 0)
        let layer = try Dense(inputSize: 3, outputSize: 2, using: &generator)
        layer.weight.value = try fixture.tensor("weight")
        layer.bias.value = try fixture.tensor("bias")
        let (lr, mu) = (try run.float("learningRate"), try run.float("momentum"))
        var velocities = [Tensor(zeros: layer.weight.value.shape), Tensor(zeros: layer.bias.value.shape)]
        let expected = try run.tensors("weights")
        for step in expected.indices {
          layer.zeroGrad()
          let loss = try meanSquaredError(try layer.forward(input, mode: .training), target)
          _ = try layer.backward(loss.gradient)
          for (index, parameter) in layer.parameters.enumerated() {
            let next = try solution.step(parameter.value, parameter.grad, velocities[index], lr, mu, 0)
            guard next.weights.shape == parameter.value.shape, next.velocity.shape == parameter.value.shape else {
              return judgeTensor(name, function: function, yours: next.weights, expected: parameter.value, hint: hint)
            }
            (parameter.value, velocities[index]) = next
          }
          let outcome = judgeTensor(name, function: function, yours: layer.weight.value, expected: expected[step],
                                    against: "PyTorch", tolerance: 1e-5, hint: hint)
          if !outcome.passed || step == expected.count - 1 {
            var described = outcome
            if !outcome.passed { described.firstWrong = "after step \(step + 1), weight " + (outcome.firstWrong ?? "") }
            return described
          }
        }
        throw CNNError("fixture optimizers_tiny has no steps")
      },
    ]
  }
}
