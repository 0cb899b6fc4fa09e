// Chapter 3: the knobs of a convolution — padding, stride, channels, the 1x1 convolution — and the
// receptive field that stacking layers builds up.

import CNN
import Foundation

/// Chapter 3: padding and stride set the output size, channels are summed, and depth widens the view.
struct PaddingStrideChannels: Chapter {
  static let number = 3
  static let slug = "padding"
  static let title = "Padding, stride, channels, 1x1 convolution, receptive field"

  func run(_ page: Page) throws {
    page.prose("""
      The same `Conv2D.directForward` as chapter 2, now with its other arguments: **padding** $P$
      (zeros around the image), **stride** $S$ (how far the window jumps), and channels: an input of
      $C$ planes and a kernel of shape $(O, C, K, K)$ give $O$ output planes.
      """)
    page.math(
      #"H' = \left\lfloor \frac{H + 2P - K}{S} \right\rfloor + 1"#,
      #"Y[o, y, x] = b_o + \sum_{c=0}^{C-1} \sum_{i,j} X_{\text{padded}}[c,\ yS + i,\ xS + j] \cdot W[o, c, i, j]"#)
    page.code("Sources/CNN/Layers/Conv2D.swift")

    // Step 1: the output-size formula against the real output over a sweep.
    page.step("The output size over a sweep of shapes")
    var cases = 0
    var mismatches = 0
    var sampleRows: [[String]] = []
    for n in [5, 6, 7, 28] {
      for k in [1, 3, 5] where k <= n {
        for p in [0, 1, 2] {
          for s in [1, 2, 3] {
            let formula = (n + 2 * p - k) / s + 1
            let output = try Conv2D.directForward(
              input: Tensor(zeros: [1, 1, n, n]), weight: Tensor(zeros: [1, 1, k, k]), bias: nil,
              stride: s, padding: p)
            cases += 1
            if output.shape[2] != formula || output.shape[3] != formula { mismatches += 1 }
            if n == 7 && p == 1 || n == 28 && k == 5 && p == 2 && s == 1 {
              sampleRows.append(["\(n)", "\(k)", "\(p)", "\(s)", "\(formula)", "\(output.shape[2])"])
            }
          }
        }
      }
    }
    page.number("shapes swept", cases)
    page.number("shapes whose output differs from the formula", mismatches)
    page.table(headers: ["n", "K", "P", "S", "formula", "measured"], rows: sampleRows)
    page.prose("""
      Over \(cases) combinations of size, kernel, padding and stride, the measured output size
      differs from the formula \(mismatches) times. Note "same" padding $P = (K-1)/2$ with $S = 1$
      keeps the size: LeNet's first layer ($K = 5$, $P = 2$) maps 28 to 28.
      """)

    // Step 2: a shape that does not fit gives a clear error.
    page.step("A shape that does not fit")
    var errorMessage = ""
    do {
      _ = try Conv2D.directForward(
        input: Tensor(zeros: [1, 1, 3, 3]), weight: Tensor(zeros: [1, 1, 5, 5]), bias: nil, stride: 1, padding: 0)
    } catch let error as CNNError {
      errorMessage = error.description
    }
    page.prose("A 5x5 kernel on a 3x3 image without padding cannot fit. The library refuses with one line:")
    page.prose("> `\(errorMessage)`")
    page.number("length of the error message (characters)", errorMessage.count, key: "error_message_length")

    // Step 3: which input cells each output reads.
    page.step("Which input cells each output reads")
    var coverageRows: [(String, Tensor)] = []
    var coverageCounts: [String] = []
    for (stride, padding) in [(1, 0), (1, 1), (2, 1), (3, 0)] {
      // The backward pass of an all-ones kernel, fed all-ones gradients, counts for every input
      // cell how many output windows read it: gradInput = Σ over windows containing the cell.
      let input = Tensor(zeros: [1, 1, 7, 7])
      let weight = Tensor(repeating: 1, shape: [1, 1, 3, 3])
      let output = try Conv2D.directForward(input: input, weight: weight, bias: nil, stride: stride, padding: padding)
      let reads = try Conv2D.directBackward(
        gradOutput: Tensor(repeating: 1, shape: output.shape), input: input, weight: weight,
        stride: stride, padding: padding).gradInput.plane(0, 0)
      coverageRows.append(("3x3, S=\(stride), P=\(padding) → \(output.shape[2])x\(output.shape[3])", reads))
      coverageCounts.append("S=\(stride), P=\(padding): \(reads.scalars.filter { $0 == 0 }.count) cells never read")
    }
    page.number("cells of a 7x7 input never read by a 3x3, stride 3 kernel",
                coverageRows[3].1.scalars.filter { $0 == 0 }.count, key: "unread_cells_stride3")
    try page.figure("reads.png", Figures.panels(coverageRows, signed: false, scale: 20, annotate: true), caption: """
      How many output windows read each cell of a 7x7 input, for a 3x3 kernel. With stride 1 the \
      centre is read 9 times and the corners once; padding gives the border more reads; with \
      stride 3 the last column and row are never read (count 0) because the window jumps past them.
      """)
    page.prose(coverageCounts.joined(separator: "; ") + ".")

    // Step 4: channels are summed.
    page.step("Channels: each output plane sums over all input planes")
    var generator = page.generator(stream: 3)
    let rgb = Tensor(randomNormal: [1, 3, 6, 6], using: &generator)
    let kernel = Tensor(randomNormal: [2, 3, 3, 3], using: &generator)
    let bias = Tensor(shape: [2], scalars: [0.5, -0.25])
    let together = try Conv2D.directForward(input: rgb, weight: kernel, bias: bias, stride: 1, padding: 1)
    var channelByChannel = Tensor(zeros: together.shape)
    for o in 0..<2 {
      for c in 0..<3 {
        let single = try Conv2D.directForward(
          input: rgb.plane(0, c).asImageBatch(),
          weight: Tensor(shape: [1, 1, 3, 3], scalars: Array(kernel.scalars[(o * 3 + c) * 9..<(o * 3 + c + 1) * 9])),
          bias: nil, stride: 1, padding: 1)
        for i in 0..<36 { channelByChannel.scalars[o * 36 + i] += single.scalars[i] }
      }
      for i in 0..<36 { channelByChannel.scalars[o * 36 + i] += bias.scalars[o] }
    }
    let channelDifference = together.maxAbsDifference(channelByChannel)
    page.number("max |(3→2 conv) − (sum of 6 single-channel convs + bias)|", channelDifference, key: "channel_sum_difference")
    page.prose("""
      A 3-channel input through a $(2, 3, 3, 3)$ kernel equals, plane by plane, the sum of six
      single-channel convolutions plus the bias (difference \(formatted(channelDifference))).
      The kernel has $O \\cdot C \\cdot K^2 = \(kernel.count)$ weights and \(bias.count) biases.
      """)

    // Step 5: a 1x1 convolution is a matrix product over channels.
    page.step("A 1x1 convolution is a channel matmul")
    let features = Tensor(randomNormal: [1, 4, 5, 5], using: &generator)
    let mixing = Tensor(randomNormal: [3, 4, 1, 1], using: &generator)
    let oneByOne = try Conv2D.directForward(input: features, weight: mixing, bias: nil, stride: 1, padding: 0)
    var product = [Float](repeating: 0, count: 3 * 25)
    // (3, 4) · (4, 25): every pixel's 4-vector of channels mixed by the same 3x4 matrix.
    gemm(transposeA: false, transposeB: false, m: 3, n: 25, k: 4, a: mixing.scalars, b: features.scalars,
         c: &product, accumulate: false)
    let matmulDifference = oneByOne.maxAbsDifference(Tensor(shape: [1, 3, 5, 5], scalars: product))
    page.number("max |1x1 conv − W·X as a (3x4)·(4x25) matmul|", matmulDifference, key: "one_by_one_difference")
    try page.figure("one-by-one.png", Figures.panels(
      (0..<4).map { ("input channel \($0)", features.plane(0, $0)) }
        + [("1x1 weights (3x4)", mixing.reshaped(to: [3, 4]))]
        + (0..<3).map { ("output channel \($0)", oneByOne.plane(0, $0)) },
      signed: true, scale: 16), caption: """
      1x1 channel mixing. Each output plane (right) is a weighted sum of the four input planes \
      (left) with one row of the 3x4 weight matrix (middle): no spatial neighbours are involved, so \
      the output keeps the 5x5 grid.
      """)

    // Step 6: the receptive field grows with depth.
    page.step("The receptive field of a unit through stacked layers")
    page.math(#"r_l = r_{l-1} + (K_l - 1) \prod_{m < l} S_m, \qquad r_0 = 1"#)
    let stacks: [(name: String, layers: [(kernel: Int, stride: Int, isPool: Bool)])] = [
      ("conv3 → conv3 → conv3", [(3, 1, false), (3, 1, false), (3, 1, false)]),
      ("conv5 → pool2 → conv5 (LeNet)", [(5, 1, false), (2, 2, true), (5, 1, false)]),
      ("conv3 s2 → conv3 s2 → conv3", [(3, 2, false), (3, 2, false), (3, 1, false)]),
    ]
    var fieldRows: [[String]] = []
    var fieldPanels: [(String, Tensor)] = []
    var allMatch = true
    for stack in stacks {
      var formula = 1
      var jump = 1
      var layers: [Layer] = []
      for spec in stack.layers {
        formula += (spec.kernel - 1) * jump
        jump *= spec.stride
        if spec.isPool {
          layers.append(try AvgPool2D(kernelSize: spec.kernel, stride: spec.stride))
        } else {
          // All-ones kernels: every cell a unit reads passes a nonzero gradient back.
          layers.append(try Conv2D(
            weight: Tensor(repeating: 1, shape: [1, 1, spec.kernel, spec.kernel]), bias: nil, stride: spec.stride))
        }
      }
      // Backpropagate a 1 from the centre output unit: the input cells with a nonzero gradient are
      // exactly the ones that unit can see.
      let network = Sequential(layers)
      let input = Tensor(repeating: 1, shape: [1, 1, 32, 32])
      let output = try network.forward(input, mode: .training)
      var gradOutput = Tensor(zeros: output.shape)
      gradOutput[0, 0, output.shape[2] / 2, output.shape[3] / 2] = 1
      let gradInput = try network.backward(gradOutput).plane(0, 0)
      let rowsSeen = (0..<32).filter { y in (0..<32).contains { x in gradInput[y, x] != 0 } }
      let measured = rowsSeen.count
      allMatch = allMatch && measured == formula
      fieldRows.append([stack.name, "\(formula)", "\(measured)"])
      fieldPanels.append(("\(stack.name): \(measured)x\(measured)", gradInput))
    }
    page.table(headers: ["stack", "formula r", "measured (rows with a nonzero gradient)"], rows: fieldRows)
    try page.figure("receptive-field.png", Figures.panels(fieldPanels, signed: false, scale: 6), caption: """
      The gradient of one centre output unit with respect to a 32x32 input, for three stacks \
      (all weights 1). The lit square is the unit's receptive field; brighter cells reach the unit \
      along more paths, which is why the centre of a receptive field matters most.
      """)

    // Checks.
    page.check("output size = floor((n+2p−k)/s)+1 on every shape of the sweep", mismatches == 0)
    page.check("a 5x5 kernel on a 3x3 image is a one-line error", !errorMessage.isEmpty && !errorMessage.contains("\n"))
    page.check("3→2 channel convolution = sum of single-channel convolutions", channelDifference, atMost: 1e-5)
    page.check("1x1 convolution = channel matmul", matmulDifference, atMost: 1e-5)
    page.check("measured receptive fields match the formula", allMatch)

    page.tryThis("""
      In `Lessons/03-Padding.swift`, add a fourth stack `[(3, 1, false), (2, 2, true), (3, 1, false), \
      (2, 2, true), (3, 1, false)]` to `stacks`. The formula predicts 18: two poolings make every \
      later 3x3 layer add 4 and then 8 rows. Rerun `cnn-lessons run 3` and check the table.
      """)
  }
}
