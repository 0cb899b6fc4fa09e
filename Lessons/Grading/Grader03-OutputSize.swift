// Grader of exercise 3: YourCode.convolutionOutputSize against the size of the output the library's
// convolution really produces, over a sweep of sizes, kernels, paddings and strides, with the
// classic wrong formulas recognised by name. Planted mistakes: no "+ 1", padding counted once,
// rounding up.

import CNN

/// The function of exercise 3, as a value: (H, K, S, P) → H′.
struct OutputSizeSolution {
  var size: (_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int) throws -> Int
}

var outputSizeExercise: Exercise {
  Exercise(
    number: 3, slug: "output-size", title: "Output size with padding and stride",
    file: "Lessons/Exercises/Exercise03-OutputSize.swift", functions: ["YourCode.convolutionOutputSize"],
    references: ["Sources/CNN/Layers/Conv2D.swift"],
    task: """
      Write the formula for the output size of a convolution (or pooling) along one side: \
      H′ = ⌊(H + 2P − K) / S⌋ + 1, and refuse a kernel that does not fit.
      """,
    grader: ExerciseGrader(
      yours: OutputSizeSolution(size: YourCode.convolutionOutputSize),
      reference: OutputSizeSolution { h, k, s, p in
        try Conv2D.outputSize(input: h, kernelSize: k, stride: s, padding: p)
      },
      mistakes: [
        PlantedMistake(name: "missing-plus-one", solution: OutputSizeSolution { h, k, s, p in (h + 2 * p - k) / s },
                       expectedHint: "off by one"),
        PlantedMistake(name: "padding-once", solution: OutputSizeSolution { h, k, s, p in (h + p - k) / s + 1 },
                       expectedHint: "both sides"),
        PlantedMistake(name: "rounds-up", solution: OutputSizeSolution { h, k, s, p in (h + 2 * p - k + s - 1) / s + 1 },
                       expectedHint: "rounds down"),
      ],
      checks: OutputSizeGrader.checks))
}

enum OutputSizeGrader {
  static let function = "YourCode.convolutionOutputSize"
  static let hint = "H′ = ⌊(H + 2P − K) / S⌋ + 1: padding on both sides, integer division, then + 1."

  /// The usual wrong formulas, each with the hint that names it.
  static var wrongFormulas: [(formula: (Int, Int, Int, Int) -> Int, hint: String)] {
    [
    ({ h, k, s, p in (h + 2 * p - k) / s }, "Your size is off by one: the count of window positions is ⌊(H + 2P − K) / S⌋ + 1 (the first window sits at 0)."),
    ({ h, k, s, p in (h + p - k) / s + 1 }, "You counted the padding once: zeros go on both sides, so H grows by 2P."),
    ({ h, k, s, p in (h - k) / s + 1 }, "You left the padding out: the padded input is H + 2P wide."),
    ({ h, k, s, p in (h + 2 * p - k + s - 1) / s + 1 }, "You rounded up: a window that would stick out of the padded input does not count, so the division rounds down."),
    ({ h, k, s, p in (h + 2 * p - k + 1) / s }, "You divided (H + 2P − K + 1) by S: the + 1 comes after the division."),
    ]
  }

  /// The true size: what the library's convolution outputs for a zero image of that size.
  static func measuredSize(_ h: Int, _ k: Int, _ s: Int, _ p: Int) throws -> Int {
    try Conv2D.directForward(
      input: Tensor(zeros: [1, 1, h, k]), weight: Tensor(zeros: [1, 1, k, k]), bias: nil,
      stride: s, padding: p
    ).shape[2]
  }

  /// One check over a list of (H, K, S, P) cases.
  static func sweep(_ name: String, _ cases: [(Int, Int, Int, Int)]) -> GradedCheck<OutputSizeSolution> {
    GradedCheck(name: name, function: function, hint: hint) { solution in
      for (h, k, s, p) in cases {
        let expected = try measuredSize(h, k, s, p)
        let yours = try solution.size(h, k, s, p)
        if yours != expected {
          let named = wrongFormulas.first { $0.formula(h, k, s, p) == yours && $0.formula(h, k, s, p) != expected }
          return CheckOutcome(
            name: name, function: function, status: .failed,
            expected: "H′ as the convolution outputs it, in all \(cases.count) cases",
            measured: "wrong for H = \(h), K = \(k), S = \(s), P = \(p)", value: Double(abs(yours - expected)),
            firstWrong: "H = \(h), K = \(k), S = \(s), P = \(p): expected \(expected), yours \(yours)",
            hint: named?.hint ?? hint)
        }
      }
      return CheckOutcome(
        name: name, function: function, status: .passed,
        expected: "H′ as the convolution outputs it, in all \(cases.count) cases",
        measured: "all \(cases.count) right", value: 0)
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<OutputSizeSolution>] {
    var everything: [(Int, Int, Int, Int)] = []
    for h in [5, 6, 7, 28] { for k in [1, 3, 5] { for p in [0, 1, 2] { for s in [1, 2, 3] where h + 2 * p >= k {
      everything.append((h, k, s, p))
    } } } }
    let refusal = "Throw a CNNError(\"…\") when H + 2P < K: not even one window fits."
    return [
      sweep("no padding, stride 1 (28 with K = 5 gives 24)", [(28, 5, 1, 0), (5, 3, 1, 0), (7, 1, 1, 0), (5, 5, 1, 0)]),
      sweep("padding 2 keeps 28 with K = 5 (\"same\" padding)", [(28, 5, 1, 2), (6, 3, 1, 1), (5, 5, 1, 2)]),
      sweep("stride 2 and 3, sizes that do not divide evenly", [(7, 3, 2, 0), (6, 3, 2, 0), (8, 3, 3, 0), (7, 3, 2, 1), (28, 2, 2, 0)]),
      sweep("all \(everything.count) shapes of chapter 3's sweep", everything),
      GradedCheck(name: "a 5-wide kernel on 3 pixels without padding is refused", function: function, hint: refusal) { solution in
        do {
          let size = try solution.size(3, 5, 1, 0)
          return judgeCondition("a 5-wide kernel on 3 pixels without padding is refused", function: function, false,
                                expected: "a thrown error", measured: "returned \(size)", hint: refusal)
        } catch let error as NotWrittenYet {
          throw error
        } catch {
          return judgeCondition("a 5-wide kernel on 3 pixels without padding is refused", function: function, true,
                                expected: "a thrown error", measured: "threw: \(oneLine(error))", hint: refusal)
        }
      },
    ]
  }
}
