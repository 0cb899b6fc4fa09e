// Grader of exercise 4: YourCode.maxPoolForward/maxPoolBackward against PyTorch's F.max_pool2d
// (forward and backward fixtures, with overlapping windows), a gradient check on tie-free inputs,
// the tie rule on constant and partly tied windows, and negative inputs. Planted mistakes: the
// gradient sent to every tie, the last maximum winning, overwriting instead of adding, a maximum
// started at 0.

import CNN

/// The functions of exercise 4, as values.
struct MaxPoolingSolution {
  var forward: (_ input: Tensor, _ kernel: Int, _ stride: Int) throws -> Tensor
  var backward: (_ gradOutput: Tensor, _ input: Tensor, _ kernel: Int, _ stride: Int) throws -> Tensor
}

var maxPoolingExercise: Exercise {
  Exercise(
    number: 4, slug: "max-pooling", title: "Max pooling forward and backward, the tie rule",
    file: "Lessons/Exercises/Exercise04-MaxPooling.swift",
    functions: ["YourCode.maxPoolForward", "YourCode.maxPoolBackward"],
    references: ["Sources/CNN/Layers/MaxPool2D.swift"],
    task: """
      Write max pooling's forward pass and its backward pass, which routes each gradient to the \
      window's winner; when elements tie, the first maximum in row-major order wins.
      """,
    grader: ExerciseGrader(
      yours: MaxPoolingSolution(forward: YourCode.maxPoolForward, backward: YourCode.maxPoolBackward),
      reference: MaxPoolingGrader.reference,
      mistakes: [
        PlantedMistake(name: "gradient-to-every-tie",
                       solution: MaxPoolingSolution(forward: MaxPoolingGrader.reference.forward,
                                                    backward: { try MaxPoolingGrader.plantedBackward($0, $1, $2, $3, rule: .everyTie) }),
                       expectedHint: "every tie"),
        PlantedMistake(name: "last-maximum-wins",
                       solution: MaxPoolingSolution(forward: MaxPoolingGrader.reference.forward,
                                                    backward: { try MaxPoolingGrader.plantedBackward($0, $1, $2, $3, rule: .lastTie) }),
                       expectedHint: "not ≥"),
        PlantedMistake(name: "overwrites-instead-of-adding",
                       solution: MaxPoolingSolution(forward: MaxPoolingGrader.reference.forward,
                                                    backward: { try MaxPoolingGrader.plantedBackward($0, $1, $2, $3, rule: .overwrite) }),
                       expectedHint: "+="),
        PlantedMistake(name: "maximum-starts-at-zero",
                       solution: MaxPoolingSolution(forward: { x, k, s in try MaxPoolingGrader.reference.forward(x, k, s).map { max($0, 0) } },
                                                    backward: MaxPoolingGrader.reference.backward),
                       expectedHint: "negative"),
      ],
      checks: MaxPoolingGrader.checks))
}

enum MaxPoolingGrader {
  static let forwardName = "YourCode.maxPoolForward"
  static let backwardName = "YourCode.maxPoolBackward"

  /// The library's layer, wrapped as the two functions.
  static var reference: MaxPoolingSolution {
    MaxPoolingSolution(
      forward: { x, k, s in try MaxPool2D(kernelSize: k, stride: s).forward(x, mode: .inference) },
      backward: { g, x, k, s in
        let layer = try MaxPool2D(kernelSize: k, stride: s)
        _ = try layer.forward(x, mode: .training)
        return try layer.backward(g)
      })
  }

  enum PlantedRule { case everyTie, lastTie, overwrite }

  /// Readable max-pool backward loops with one planted mistake each.
  static func plantedBackward(_ g: Tensor, _ x: Tensor, _ k: Int, _ s: Int, rule: PlantedRule) throws -> Tensor {
    let (n, c, outH, outW) = (g.shape[0], g.shape[1], g.shape[2], g.shape[3])
    var gradInput = Tensor(zeros: x.shape)
    for image in 0..<n { for channel in 0..<c { for y in 0..<outH { for xo in 0..<outW {
      var best = -Float.infinity
      for i in 0..<k { for j in 0..<k { best = max(best, x[image, channel, y * s + i, xo * s + j]) } }
      var winners: [(Int, Int)] = []
      for i in 0..<k { for j in 0..<k where x[image, channel, y * s + i, xo * s + j] == best { winners.append((i, j)) } }
      switch rule {
      case .everyTie:  // BUG: every tied element gets the gradient
        for (i, j) in winners { gradInput[image, channel, y * s + i, xo * s + j] += g[image, channel, y, xo] }
      case .lastTie:  // BUG: `>=` lets the last maximum win
        let (i, j) = winners.last!
        gradInput[image, channel, y * s + i, xo * s + j] += g[image, channel, y, xo]
      case .overwrite:  // BUG: `=` loses the gradient of an earlier window with the same winner
        let (i, j) = winners.first!
        gradInput[image, channel, y * s + i, xo * s + j] = g[image, channel, y, xo]
      }
    } } } }
    return gradInput
  }

  static let forwardHint = """
    output[n, c, y, x] is the largest input[n, c, y·S + i, x·S + j] over i, j < K; check the \
    window's corner y·S, x·S and the output size ⌊(H − K) / S⌋ + 1.
    """
  static let backwardHint = """
    Find each window's first maximum (row-major, strict >) and add gradOutput[n, c, y, x] to that \
    one input element; every other element of the window gets nothing from this window.
    """
  static let everyTieHint = """
    Your backward sends the gradient to every tie: when several elements share the maximum, only \
    the first one in row-major order wins (as in the forward pass and PyTorch), so Σ gradInput = Σ gradOutput.
    """
  static let lastTieHint = """
    Your backward lets the last tied maximum win: compare with > (not ≥) so the first maximum in \
    row-major order keeps the gradient.
    """
  static let overwriteHint = """
    Your backward overwrites: with overlapping windows (S < K) one input can win several windows; \
    add their gradients with += instead of =.
    """
  static let negativeHint = """
    Your maximum starts at 0, so an all-negative window gives 0: inputs can be negative; start \
    from the window's first element or −∞.
    """

  static func backwardMistakes(_ g: Tensor, _ x: Tensor, _ k: Int, _ s: Int) -> [(result: Tensor, hint: String)] {
    [(PlantedRule.everyTie, everyTieHint), (.lastTie, lastTieHint), (.overwrite, overwriteHint)].compactMap { rule, hint in
      (try? plantedBackward(g, x, k, s, rule: rule)).map { ($0, hint) }
    }
  }

  static func forwardFixture(_ name: String, _ label: String) -> GradedCheck<MaxPoolingSolution> {
    GradedCheck(name: "forward, PyTorch \(name): \(label)", function: forwardName, hint: forwardHint) { solution in
      let fixture = try Fixture.pyTorch(name)
      let (x, k, s) = (try fixture.tensor("input"), try fixture.int("kernelSize"), try fixture.int("stride"))
      return judgeTensor("forward, PyTorch \(name): \(label)", function: forwardName, yours: try solution.forward(x, k, s),
                         expected: try fixture.tensor("output"), against: "PyTorch", hint: forwardHint,
                         mistakes: [(try reference.forward(x, k, s).map { max($0, 0) }, negativeHint)])
    }
  }

  static func backwardFixture(_ name: String, _ label: String) -> GradedCheck<MaxPoolingSolution> {
    GradedCheck(name: "backward, PyTorch \(name): \(label)", function: backwardName, hint: backwardHint) { solution in
      let fixture = try Fixture.pyTorch(name)
      let (x, k, s) = (try fixture.tensor("input"), try fixture.int("kernelSize"), try fixture.int("stride"))
      let g = try fixture.tensor("gradOutput")
      return judgeTensor("backward, PyTorch \(name): \(label)", function: backwardName, yours: try solution.backward(g, x, k, s),
                         expected: try fixture.tensor("gradInput"), against: "PyTorch", hint: backwardHint,
                         mistakes: backwardMistakes(g, x, k, s))
    }
  }

  /// A backward check against the reference on a given input (ties on purpose).
  static func tieCheck(_ name: String, input: Tensor, kernel: Int, stride: Int, seed: UInt64) -> GradedCheck<MaxPoolingSolution> {
    GradedCheck(name: name, function: backwardName, hint: backwardHint) { solution in
      let outputShape = try reference.forward(input, kernel, stride).shape
      var generator = SeededGenerator(seed: seed)
      // Gradients 1, 2, 3, … plus noise: each window's share stays recognisable in gradInput.
      let g = Tensor(shape: outputShape) { Float($0 + 1) + 0.25 * generator.nextNormal() }
      return judgeTensor(name, function: backwardName, yours: try solution.backward(g, input, kernel, stride),
                         expected: try reference.backward(g, input, kernel, stride), hint: backwardHint,
                         mistakes: backwardMistakes(g, input, kernel, stride))
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<MaxPoolingSolution>] {
    var generator = SeededGenerator(seed: seed)
    // Distinct values 3h apart: no ties within the finite-difference step (GradientCheck.swift).
    let tieFree = Tensor(gradientCheckInput: [1, 2, 6, 7], using: &generator)
    // Windows with two equal maxima in different places, the first not at the top-left.
    let partlyTied = Tensor(shape: [1, 1, 4, 4], scalars: [0, 5, 1, 2, 5, 1, 2, 2, 3, 3, 4, 0, 1, 1, 4, 4])
    let negative = Tensor(randomNormal: [2, 1, 4, 6], mean: -5, standardDeviation: 0.5, using: &generator)
    return [
      forwardFixture("maxpool_2x2", "2x2, stride 2, 2x3x6x8"),
      forwardFixture("maxpool_3x3_s2", "3x3, stride 2 (overlapping), non-square 7x9"),
      GradedCheck(name: "forward, all-negative input (N 2, 4x6)", function: forwardName, hint: forwardHint) { solution in
        judgeTensor("forward, all-negative input (N 2, 4x6)", function: forwardName, yours: try solution.forward(negative, 2, 2),
                    expected: try reference.forward(negative, 2, 2), hint: forwardHint,
                    mistakes: [(try reference.forward(negative, 2, 2).map { max($0, 0) }, negativeHint)])
      },
      backwardFixture("maxpool_2x2", "2x2, stride 2"),
      backwardFixture("maxpool_3x3_s2", "3x3, stride 2: a winner of two windows gets both gradients"),
      GradedCheck(name: "backward, gradient check (tie-free input, batch 1, 6x7)", function: backwardName, hint: backwardHint) { solution in
        try judgeGradient(
          "backward, gradient check (tie-free input, batch 1, 6x7)", function: backwardName, input: tieFree, seed: seed,
          forward: { try reference.forward($0, 2, 2) }, yourBackward: { x, g in try solution.backward(g, x, 2, 2) },
          hint: backwardHint)
      },
      tieCheck("tie rule: a constant 4x4 map, each window's gradient to its top-left cell",
               input: Tensor(repeating: 0.5, shape: [1, 1, 4, 4]), kernel: 2, stride: 2, seed: seed),
      tieCheck("tie rule: two equal maxima per window, the first in row-major order wins",
               input: partlyTied, kernel: 2, stride: 2, seed: seed &+ 1),
      tieCheck("tie rule with overlapping 3x3 windows, stride 1, on a constant map",
               input: Tensor(repeating: 1, shape: [1, 1, 5, 4]), kernel: 3, stride: 1, seed: seed &+ 2),
    ]
  }
}
