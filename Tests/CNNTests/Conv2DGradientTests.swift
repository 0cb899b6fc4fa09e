import Testing
@testable import CNN

// The Conv2D layer through the library's gradient checker, for every algorithm, over the same
// cases as the planted unflipped-kernel bug (strides {1, 2}, paddings {0, 1, 2}, 1 and 3 channels,
// non-square inputs, batch 1 and 2): the correct layer passes where the planted bug fails.

@Test("Conv2D layer backward matches numerical gradient (every algorithm)", arguments: convCases)
func conv2DLayerGradient(_ c: ConvCase) throws {
  for algorithm in ConvolutionAlgorithm.allCases {
    var rng = SeededGenerator(seed: 21)
    let conv = try Conv2D(
      inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernelSize,
      stride: c.stride, padding: c.padding, algorithm: algorithm, using: &rng)
    conv.bias.value = Tensor(randomNormal: [c.outChannels], using: &rng)
    // Convolution is linear in its input and in its weights: central differences have no
    // truncation error, only the rounding of the forward pass divided by 2h, so a large step is
    // best. With h = 1e-2 the FFT path measured up to 7e-3 (its forward rounds to ~5e-7 absolute,
    // against 0 for direct; its analytic gradient equals direct's to 1e-7); with h = 0.1, ≤ 3e-4.
    try expectGradientsMatch(conv, input: c.shape, smooth: true, step: 0.1, label: "Conv2D(\(algorithm)) \(c.testDescription)")
  }
}

@Test("Conv2D and the planted bug agree forward; only the bug fails the check")
func conv2DVersusPlantedBug() throws {
  var rngA = SeededGenerator(seed: 40), rngB = SeededGenerator(seed: 40)
  let conv = try Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, using: &rngA)
  let bug = PlantedBug.unflippedConvolution(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, using: &rngB)
  conv.weight.value = bug.parameters[0].value
  conv.bias.value = bug.parameters[1].value
  var rng = SeededGenerator(seed: 41)
  let x = Tensor(randomNormal: [2, 2, 5, 6], using: &rng)
  #expect(try conv.forward(x, mode: .inference).maxAbsDifference(bug.forward(x, mode: .inference)) < 1e-5)
  #expect(try gradientCheck(conv, input: x).passes())
  #expect(try !gradientCheck(bug, input: x).passes())
}
