// Grader of exercise 2: YourCode.convolutionForward against PyTorch's F.conv2d (the committed
// fixtures), against the library's Conv2D.directForward on asymmetric kernels and several channels,
// and the refusal of a kernel that does not fit. Planted mistakes: a flipped kernel, the bias added
// once per channel, an output one row and column short.

import CNN

/// The function of exercise 2, as a value: (input, weight, bias, stride, padding) → output.
struct ConvolutionForwardSolution {
  var forward: (Tensor, Tensor, Tensor?, Int, Int) throws -> Tensor
}

var convolutionForwardExercise: Exercise { Exercise(
  number: 2, slug: "convolution-forward", title: "Convolution forward",
  file: "Lessons/Exercises/Exercise02-ConvolutionForward.swift", functions: ["YourCode.convolutionForward"],
  references: ["Sources/CNN/Layers/Conv2D.swift"],
  task: """
    Write the forward pass of a convolution layer: a cross-correlation of an (N, C, H, W) batch \
    with (O, C, K, K) kernels, plus a bias, with stride and zero padding.
    """,
  grader: ExerciseGrader(
    yours: ConvolutionForwardSolution(forward: YourCode.convolutionForward),
    reference: ConvolutionForwardSolution(forward: Conv2D.directForward),
    mistakes: [
      PlantedMistake(
        name: "flipped-kernel",
        solution: ConvolutionForwardSolution { x, w, b, s, p in
          try Conv2D.directForward(input: x, weight: w.rotated180(), bias: b, stride: s, padding: p)
        },
        expectedHint: "kernel flipped"),
      PlantedMistake(
        name: "bias-per-channel",
        solution: ConvolutionForwardSolution { x, w, b, s, p in
          try ConvolutionForwardGrader.biasPerChannel(x, w, b, s, p)
        },
        expectedHint: "once per input channel"),
      PlantedMistake(
        name: "output-one-short",
        solution: ConvolutionForwardSolution { x, w, b, s, p in
          try ConvolutionForwardGrader.oneShort(Conv2D.directForward(input: x, weight: w, bias: b, stride: s, padding: p))
        },
        expectedHint: "Off by one"),
    ],
    // Right except that stride 2 reads past the end of the input: a trap, for the runner's tests.
    crashing: ConvolutionForwardSolution { x, w, b, s, p in
      if s == 2 { _ = x.scalars[x.count + s] }
      return try Conv2D.directForward(input: x, weight: w, bias: b, stride: s, padding: p)
    },
    checks: ConvolutionForwardGrader.checks)) }

enum ConvolutionForwardGrader {
  static let function = "YourCode.convolutionForward"

  static let hint = """
    Check the formula term by term: the output index (y, x) reads input[y·S + i − P, x·S + j − P], \
    taps in the padding are skipped, every channel c is summed, bias[o] is added once.
    """
  static let flipHint = """
    Your output equals a convolution with the kernel flipped (rotated 180°). Deep-learning \
    "convolution" is a cross-correlation: weight[o, c, i, j] multiplies input[y·S + i − P, x·S + j − P], no flip.
    """
  static let biasHint = """
    Your output adds the bias once per input channel. Add bias[o] once per output element, \
    outside the sum over c, i, j.
    """

  /// The known wrong results on one case, for naming the mistake a failing output matches.
  static func mistakes(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ s: Int, _ p: Int) -> [(result: Tensor, hint: String)] {
    var found: [(Tensor, String)] = []
    if let flipped = try? Conv2D.directForward(input: x, weight: w.rotated180(), bias: b, stride: s, padding: p) {
      found.append((flipped, flipHint))
    }
    if let perChannel = try? biasPerChannel(x, w, b, s, p) { found.append((perChannel, biasHint)) }
    return found
  }

  static func biasPerChannel(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ s: Int, _ p: Int) throws -> Tensor {
    let scaled = b.map { $0 * Float(w.shape[1]) }
    return try Conv2D.directForward(input: x, weight: w, bias: scaled, stride: s, padding: p)
  }

  /// The output without its last row and column: the size formula without its "+ 1".
  static func oneShort(_ output: Tensor) -> Tensor {
    let (n, o, h, w) = (output.shape[0], output.shape[1], output.shape[2], output.shape[3])
    guard h > 1, w > 1 else { return output }
    return Tensor(shape: [n, o, h - 1, w - 1]) { index in
      let x = index % (w - 1), rest = index / (w - 1)
      let y = rest % (h - 1), plane = rest / (h - 1)
      return output.scalars[(plane * h + y) * w + x]
    }
  }

  /// A check against a PyTorch fixture.
  static func fixtureCheck(_ fixtureName: String, _ label: String) -> GradedCheck<ConvolutionForwardSolution> {
    GradedCheck(name: "PyTorch \(fixtureName): \(label)", function: function, hint: hint) { solution in
      let fixture = try Fixture.pyTorch(fixtureName)
      let (x, w) = (try fixture.tensor("input"), try fixture.tensor("weight"))
      let b = fixture.contains("bias") ? try fixture.tensor("bias") : nil
      let (s, p) = (try fixture.int("stride"), try fixture.int("padding"))
      return judgeTensor(
        "PyTorch \(fixtureName): \(label)", function: function, yours: try solution.forward(x, w, b, s, p),
        expected: try fixture.tensor("output"), against: "PyTorch", hint: hint, mistakes: mistakes(x, w, b, s, p))
    }
  }

  /// A check against the library's reference on a random case.
  static func randomCheck(
    _ name: String, input: [Int], outChannels: Int, kernelSize: Int, stride: Int, padding: Int, seed: UInt64
  ) -> GradedCheck<ConvolutionForwardSolution> {
    GradedCheck(name: name, function: function, hint: hint) { solution in
      var generator = SeededGenerator(seed: seed)
      let x = Tensor(randomNormal: input, using: &generator)
      let w = Tensor(randomNormal: [outChannels, input[1], kernelSize, kernelSize], using: &generator)
      let b = Tensor(randomNormal: [outChannels], using: &generator)
      return judgeTensor(
        name, function: function, yours: try solution.forward(x, w, b, stride, padding),
        expected: try Conv2D.directForward(input: x, weight: w, bias: b, stride: stride, padding: padding),
        hint: hint, mistakes: mistakes(x, w, b, stride, padding))
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<ConvolutionForwardSolution>] {
    [
      fixtureCheck("conv2d_basic", "1 channel, 3x3 kernels, stride 1, no padding"),
      randomCheck("an asymmetric kernel on a 9x9 image (no flip)", input: [1, 1, 9, 9], outChannels: 1,
                  kernelSize: 3, stride: 1, padding: 0, seed: seed),
      randomCheck("3 channels summed, bias added once (N 2, C 3, O 4, 6x7)", input: [2, 3, 6, 7], outChannels: 4,
                  kernelSize: 3, stride: 1, padding: 0, seed: seed &+ 1),
      fixtureCheck("conv2d_p2", "padding 2, 3 channels, batch 1, 6x5"),
      fixtureCheck("conv2d_s2_p1", "stride 2, padding 1, non-square 7x6"),
      fixtureCheck("conv2d_s2_nobias", "stride 2, 2x2 kernels, no bias, 9x8"),
      fixtureCheck("conv2d_k5_p2", "5x5 kernels, padding 2 keeps 8x7"),
      randomCheck("stride 3, padding 2, batch 1, non-square 5x8", input: [1, 2, 5, 8], outChannels: 3,
                  kernelSize: 3, stride: 3, padding: 2, seed: seed &+ 2),
      GradedCheck(name: "a 5x5 kernel on a 3x3 image without padding is refused", function: function,
                  hint: "Throw a CNNError(\"…\") when H + 2P < K or W + 2P < K: no window fits.") { solution in
        do {
          let output = try solution.forward(Tensor(zeros: [1, 1, 3, 3]), Tensor(zeros: [1, 1, 5, 5]), nil, 1, 0)
          return judgeCondition(
            "a 5x5 kernel on a 3x3 image without padding is refused", function: function, false,
            expected: "a thrown error", measured: "returned shape \(output.shape)",
            hint: "Throw a CNNError(\"…\") when H + 2P < K or W + 2P < K: no window fits.")
        } catch let error as NotWrittenYet {
          throw error
        } catch {
          return judgeCondition(
            "a 5x5 kernel on a 3x3 image without padding is refused", function: function, true,
            expected: "a thrown error", measured: "threw: \(oneLine(error))", hint: "")
        }
      },
    ]
  }
}
