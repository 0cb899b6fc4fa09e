// Grader of exercise 9: YourCode.im2col against the library's im2col on several shapes (channels,
// stride, padding 2, non-square), and the property that makes it useful: weight · columns equals
// the direct convolution. Planted mistakes: the matrix transposed, the taps in (i, j, c) order,
// padding read from the nearest edge pixel instead of 0.

import CNN

/// The function of exercise 9, as a value: (image, K, S, P) → columns.
struct Im2colSolution {
  var unroll: (_ image: Tensor, _ kernelSize: Int, _ stride: Int, _ padding: Int) throws -> Tensor
}

var im2colExercise: Exercise {
  Exercise(
    number: 9, slug: "im2col", title: "im2col: patches as columns",
    file: "Lessons/Exercises/Exercise09-Im2col.swift", functions: ["YourCode.im2col"],
    references: ["Sources/CNN/Layers/Conv2D+Im2col.swift"],
    task: """
      Write im2col: every K×K patch of a (C, H, W) image becomes one column of a (C·K·K, H′·W′) \
      matrix, so that a convolution is one matrix product.
      """,
    grader: ExerciseGrader(
      yours: Im2colSolution(unroll: YourCode.im2col),
      reference: Im2colSolution { image, k, s, p in try CNN.im2col(image, kernelSize: k, stride: s, padding: p) },
      mistakes: [
        PlantedMistake(name: "transposed", solution: Im2colSolution { image, k, s, p in
          Im2colGrader.transposed(try CNN.im2col(image, kernelSize: k, stride: s, padding: p))
        }, expectedHint: "one row per kernel tap"),
        PlantedMistake(name: "taps-in-i-j-c-order", solution: Im2colSolution { image, k, s, p in
          Im2colGrader.tapsInIJCOrder(try CNN.im2col(image, kernelSize: k, stride: s, padding: p), channels: image.shape[0], kernelSize: k)
        }, expectedHint: "(c·K + i)·K + j"),
        PlantedMistake(name: "padding-clamped", solution: Im2colSolution { image, k, s, p in
          Im2colGrader.clamped(image, k, s, p)
        }, expectedHint: "padding"),
      ],
      checks: Im2colGrader.checks))
}

enum Im2colGrader {
  static let function = "YourCode.im2col"

  static func transposed(_ matrix: Tensor) -> Tensor {
    let (rows, columns) = (matrix.shape[0], matrix.shape[1])
    return Tensor(shape: [columns, rows]) { index in matrix.scalars[(index % rows) * columns + index / rows] }
  }

  /// The rows reordered as (i·K + j)·C + c: the taps in (i, j, c) order.
  static func tapsInIJCOrder(_ columns: Tensor, channels: Int, kernelSize k: Int) -> Tensor {
    let width = columns.shape[1]
    return Tensor(shape: columns.shape) { index in
      let (row, column) = (index / width, index % width)
      let c = row % channels, tap = row / channels  // row = tap·C + c, tap = i·K + j
      return columns.scalars[(c * k * k + tap) * width + column]
    }
  }

  /// im2col that reads the nearest edge pixel where the patch leaves the image.
  static func clamped(_ image: Tensor, _ k: Int, _ s: Int, _ p: Int) -> Tensor {
    let (c, h, w) = (image.shape[0], image.shape[1], image.shape[2])
    let (outH, outW) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
    var columns = Tensor(zeros: [c * k * k, outH * outW])
    for channel in 0..<c { for i in 0..<k { for j in 0..<k { for y in 0..<outH { for x in 0..<outW {
      let row = min(max(y * s + i - p, 0), h - 1), column = min(max(x * s + j - p, 0), w - 1)  // BUG: not 0
      columns[(channel * k + i) * k + j, y * outW + x] = image[channel, row, column]
    } } } } }
    return columns
  }

  static let hint = """
    columns[(c·K + i)·K + j, y·W′ + x] = image[c, y·S + i − P, x·S + j − P], and 0 where that \
    pixel is in the padding: one row per kernel tap (c, i, j), one column per output pixel (y, x).
    """
  static let transposedHint = "Your matrix is transposed: it has one row per kernel tap (c, i, j), C·K·K rows, and one column per output pixel, H′·W′ columns."
  static let orderHint = "Your rows are in (i, j, c) order: the row of tap (c, i, j) is (c·K + i)·K + j, channel outermost, to match the (O, C, K, K) weights."
  static let paddingHint = "Your padding repeats the edge pixels: an entry whose pixel lies in the padding is 0 (zero padding)."

  static func mistakes(_ image: Tensor, _ k: Int, _ s: Int, _ p: Int) throws -> [(result: Tensor, hint: String)] {
    let right = try CNN.im2col(image, kernelSize: k, stride: s, padding: p)
    return [
      (tapsInIJCOrder(right, channels: image.shape[0], kernelSize: k), orderHint),
      (clamped(image, k, s, p), paddingHint),
    ]
  }

  static func shapeCheck(_ name: String, image shape: [Int], kernelSize k: Int, stride s: Int, padding p: Int, seed: UInt64) -> GradedCheck<Im2colSolution> {
    GradedCheck(name: name, function: function, hint: hint) { solution in
      var generator = SeededGenerator(seed: seed)
      let image = Tensor(randomNormal: shape, using: &generator)
      let expected = try CNN.im2col(image, kernelSize: k, stride: s, padding: p)
      let yours = try solution.unroll(image, k, s, p)
      var outcome = judgeTensor(name, function: function, yours: yours, expected: expected, hint: hint, mistakes: try mistakes(image, k, s, p))
      if yours.shape == [expected.shape[1], expected.shape[0]], expected.shape[0] != expected.shape[1] {
        outcome.hint = transposedHint
      }
      return outcome
    }
  }

  static func checks(seed: UInt64) -> [GradedCheck<Im2colSolution>] {
    [
      shapeCheck("1 channel, 5x5, 3x3 kernel, stride 1, no padding", image: [1, 5, 5], kernelSize: 3, stride: 1, padding: 0, seed: seed),
      shapeCheck("3 channels, non-square 6x7, stride 2, padding 1", image: [3, 6, 7], kernelSize: 3, stride: 2, padding: 1, seed: seed &+ 1),
      shapeCheck("2 channels, 4x4, padding 2", image: [2, 4, 4], kernelSize: 3, stride: 1, padding: 2, seed: seed &+ 2),
      shapeCheck("1 channel, 7x5, 2x2 kernel, stride 2", image: [1, 7, 5], kernelSize: 2, stride: 2, padding: 0, seed: seed &+ 3),
      GradedCheck(name: "weight · columns equals the direct convolution (C 3, O 4, 8x6, padding 1)", function: function, hint: hint) { solution in
        let name = "weight · columns equals the direct convolution (C 3, O 4, 8x6, padding 1)"
        var generator = SeededGenerator(seed: seed &+ 4)
        let image = Tensor(randomNormal: [3, 8, 6], using: &generator)
        let weight = Tensor(randomNormal: [4, 3, 3, 3], using: &generator)
        let expected = try Conv2D.directForward(input: image.reshaped(to: [1, 3, 8, 6]), weight: weight, bias: nil, stride: 1, padding: 1)
          .reshaped(to: [4, 48])
        let columns = try solution.unroll(image, 3, 1, 1)
        guard columns.shape == [27, 48] else {
          return judgeTensor(name, function: function, yours: columns, expected: Tensor(zeros: [27, 48]), hint: hint)
        }
        // (O, C·K·K) · (C·K·K, H′·W′), plain loops.
        var product = Tensor(zeros: [4, 48])
        for o in 0..<4 { for r in 0..<27 { for column in 0..<48 {
          product[o, column] += weight.scalars[o * 27 + r] * columns[r, column]
        } } }
        return judgeTensor(name, function: function, yours: product, expected: expected, against: "Conv2D.directForward",
                           hint: hint, mistakes: try mistakes(image, 3, 1, 1).map { mistake in
                             var wrong = Tensor(zeros: [4, 48])
                             for o in 0..<4 { for r in 0..<27 { for column in 0..<48 {
                               wrong[o, column] += weight.scalars[o * 27 + r] * mistake.result[r, column]
                             } } }
                             return (wrong, mistake.hint)
                           })
      },
    ]
  }
}
