// Grader of exercise 6: YourCode.convolutionBackward against PyTorch's autograd (conv2d fixtures)
// and gradient checks of dX, dW and db over strides {1, 2}, paddings {0, 1, 2}, 1 and 3 channels,
// batch 1 and 2, non-square inputs. Planted mistakes: the kernel not flipped in dX (chapter 6's
// planted bug), dW and db summed over the first image only.

import CNN

/// The function of exercise 6, as a value: (gradOutput, input, weight, stride, padding) → gradients.
struct ConvolutionBackwardSolution {
  var backward: (_ gradOutput: Tensor, _ input: Tensor, _ weight: Tensor, _ stride: Int, _ padding: Int) throws
    -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)
}

var convolutionBackwardExercise: Exercise {
  Exercise(
    number: 6, slug: "convolution-backward", title: "Convolution backward: dX, dW, db",
    file: "Lessons/Exercises/Exercise06-ConvolutionBackward.swift", functions: ["YourCode.convolutionBackward"],
    references: ["Sources/CNN/Layers/Conv2D.swift", "Sources/CNN/Check/PlantedBugs.swift"],
    task: """
      Write the backward pass of a convolution: the input gradient (a full convolution with the \
      flipped kernel), the weight gradient (the input correlated with dY) and the bias gradient.
      """,
    grader: ExerciseGrader(
      yours: ConvolutionBackwardSolution(backward: YourCode.convolutionBackward),
      reference: ConvolutionBackwardSolution(backward: Conv2D.directBackward),
      mistakes: [
        PlantedMistake(name: "kernel-not-flipped",
                       solution: ConvolutionBackwardSolution { g, x, w, s, p in
                         try ConvolutionBackwardGrader.unflipped(g, x, w, s, p)
                       },
                       expectedHint: "not flipped"),
        PlantedMistake(name: "first-image-only",
                       solution: ConvolutionBackwardSolution { g, x, w, s, p in
                         try ConvolutionBackwardGrader.firstImageOnly(g, x, w, s, p)
                       },
                       expectedHint: "whole batch"),
      ],
      checks: ConvolutionBackwardGrader.checks))
}

enum ConvolutionBackwardGrader {
  static let function = "YourCode.convolutionBackward"
  typealias Gradients = (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)

  /// dX with the kernel used as it is (PlantedBug.unflippedConvolution's mistake): the right dX of
  /// the same dY with every kernel rotated 180°.
  static func unflipped(_ g: Tensor, _ x: Tensor, _ w: Tensor, _ s: Int, _ p: Int) throws -> Gradients {
    let right = try Conv2D.directBackward(gradOutput: g, input: x, weight: w, stride: s, padding: p)
    let wrong = try Conv2D.directBackward(gradOutput: g, input: x, weight: w.rotated180(), stride: s, padding: p)
    return (wrong.gradInput, right.gradWeight, right.gradBias)  // BUG: dX reads w[o, c, K−1−i, K−1−j]
  }

  /// dW and db from image 0 alone.
  static func firstImageOnly(_ g: Tensor, _ x: Tensor, _ w: Tensor, _ s: Int, _ p: Int) throws -> Gradients {
    let right = try Conv2D.directBackward(gradOutput: g, input: x, weight: w, stride: s, padding: p)
    let first = try Conv2D.directBackward(
      gradOutput: g.slice(0..<1), input: x.slice(0..<1), weight: w, stride: s, padding: p)
    return (right.gradInput, first.gradWeight, first.gradBias)  // BUG: no sum over n
  }

  static let hint = """
    Start from the forward loops: wherever the forward adds X[n, c, y·S + i − P, x·S + j − P] · \
    W[o, c, i, j] into Y[n, o, y, x], the backward adds dY · W into dX at that pixel, dY · X into \
    dW[o, c, i, j] and dY into db[o].
    """
  static let flipHint = """
    Your dX uses the kernel not flipped: as a gather over output positions, dX is a full convolution \
    of dY with the kernel rotated 180°. Scattering dY[n, o, y, x] · W[o, c, i, j] to the pixel the \
    forward read avoids the question.
    """
  static let batchHint = """
    Your dW / db use only the first image: the weights and bias are shared by the whole batch, so \
    their gradients sum over n as well as y and x.
    """

  enum Part: String { case gradInput = "dX", gradWeight = "dW", gradBias = "db" }

  static func pick(_ gradients: Gradients, _ part: Part) -> Tensor {
    switch part {
    case .gradInput: gradients.gradInput
    case .gradWeight: gradients.gradWeight
    case .gradBias: gradients.gradBias
    }
  }

  static func mistakes(_ g: Tensor, _ x: Tensor, _ w: Tensor, _ s: Int, _ p: Int, _ part: Part) -> [(result: Tensor, hint: String)] {
    switch part {
    case .gradInput: (try? unflipped(g, x, w, s, p)).map { [($0.gradInput, flipHint)] } ?? []
    default: g.shape[0] > 1 ? ((try? firstImageOnly(g, x, w, s, p)).map { [(pick($0, part), batchHint)] } ?? []) : []
    }
  }

  static func fixtureCheck(_ fixtureName: String, _ label: String, _ part: Part) -> GradedCheck<ConvolutionBackwardSolution> {
    let name = "\(part.rawValue), PyTorch \(fixtureName): \(label)"
    return GradedCheck(name: name, function: function, hint: hint) { solution in
      let fixture = try Fixture.pyTorch(fixtureName)
      let (x, w, g) = (try fixture.tensor("input"), try fixture.tensor("weight"), try fixture.tensor("gradOutput"))
      let (s, p) = (try fixture.int("stride"), try fixture.int("padding"))
      let key = part == .gradInput ? "gradInput" : part == .gradWeight ? "gradWeight" : "gradBias"
      return judgeTensor(name, function: function, yours: pick(try solution.backward(g, x, w, s, p), part),
                         expected: try fixture.tensor(key), against: "PyTorch", hint: hint,
                         mistakes: mistakes(g, x, w, s, p, part))
    }
  }

  /// A gradient check of one of the three gradients on a random case (the other operands fixed).
  static func gradientCheckCase(
    input inputShape: [Int], outChannels: Int, kernelSize: Int, stride: Int, padding: Int, part: Part, seed: UInt64
  ) -> GradedCheck<ConvolutionBackwardSolution> {
    let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let name = "\(part.rawValue), gradient check: N \(n), C \(c), \(h)x\(w), stride \(stride), padding \(padding)"
    return GradedCheck(name: name, function: function, hint: hint) { solution in
      var generator = SeededGenerator(seed: seed)
      let x = Tensor(randomNormal: inputShape, using: &generator)
      let weight = Tensor(randomNormal: [outChannels, c, kernelSize, kernelSize], using: &generator)
      let bias = Tensor(randomNormal: [outChannels], using: &generator)
      func forward(_ x: Tensor, _ weight: Tensor, _ bias: Tensor) throws -> Tensor {
        try Conv2D.directForward(input: x, weight: weight, bias: bias, stride: stride, padding: padding)
      }
      switch part {
      case .gradInput:
        return try judgeGradient(
          name, function: function, input: x, seed: seed, forward: { try forward($0, weight, bias) },
          yourBackward: { x, g in try solution.backward(g, x, weight, stride, padding).gradInput }, hint: hint,
          mistakes: [({ x, g in try unflipped(g, x, weight, stride, padding).gradInput }, flipHint)])
      case .gradWeight:
        return try judgeGradient(
          name, function: function, input: weight, seed: seed, forward: { try forward(x, $0, bias) },
          yourBackward: { weight, g in try solution.backward(g, x, weight, stride, padding).gradWeight }, hint: hint,
          mistakes: n > 1 ? [({ weight, g in try firstImageOnly(g, x, weight, stride, padding).gradWeight }, batchHint)] : [])
      case .gradBias:
        return try judgeGradient(
          name, function: function, input: bias, seed: seed, forward: { try forward(x, weight, $0) },
          yourBackward: { _, g in try solution.backward(g, x, weight, stride, padding).gradBias }, hint: hint,
          mistakes: n > 1 ? [({ _, g in try firstImageOnly(g, x, weight, stride, padding).gradBias }, batchHint)] : [])
      }
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<ConvolutionBackwardSolution>] {
    let parts: [Part] = [.gradInput, .gradWeight, .gradBias]
    var checks = parts.map { fixtureCheck("conv2d_basic", "1 channel, 3x3, stride 1, batch 2", $0) }
    checks += parts.map { fixtureCheck("conv2d_s2_p1", "stride 2, padding 1, 3 channels, 7x6", $0) }
    let cases: [(input: [Int], stride: Int, padding: Int)] = [
      ([1, 1, 6, 6], 1, 0),  // batch 1, one channel
      ([2, 3, 6, 7], 2, 1),  // stride 2 that does not divide evenly, non-square
      ([2, 3, 5, 6], 1, 2),  // padding 2
      ([1, 1, 7, 5], 2, 2),  // stride 2 and padding 2, batch 1
    ]
    for (index, testCase) in cases.enumerated() {
      for part in parts {
        checks.append(gradientCheckCase(
          input: testCase.input, outChannels: 2, kernelSize: 3, stride: testCase.stride, padding: testCase.padding,
          part: part, seed: seed &+ UInt64(index)))
      }
    }
    return checks
  }
}
