import Testing
@testable import CNN

// The checker must FAIL on each planted bug, by a wide margin, and only on the broken tensor.

struct ConvCase: CustomTestStringConvertible, Sendable {
  let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int, shape: [Int]
  var testDescription: String { "\(inChannels)→\(outChannels) K\(kernelSize) S\(stride) P\(padding) \(shape)" }
}

// Strides {1, 2}, paddings {0, 1, 2}, 1 and 3 channels, non-square inputs, batch 1 and 2.
let convCases: [ConvCase] = [
  ConvCase(inChannels: 1, outChannels: 2, kernelSize: 3, stride: 1, padding: 0, shape: [1, 1, 5, 6]),
  ConvCase(inChannels: 3, outChannels: 2, kernelSize: 3, stride: 2, padding: 1, shape: [2, 3, 5, 4]),
  ConvCase(inChannels: 1, outChannels: 3, kernelSize: 2, stride: 1, padding: 2, shape: [2, 1, 3, 4]),
  ConvCase(inChannels: 3, outChannels: 1, kernelSize: 3, stride: 2, padding: 2, shape: [1, 3, 4, 6]),
  ConvCase(inChannels: 3, outChannels: 2, kernelSize: 1, stride: 1, padding: 0, shape: [2, 3, 2, 3]),
]

@Test("planted bug: convolution with an unflipped kernel FAILS the gradient check on its input",
      arguments: convCases.filter { $0.kernelSize > 1 })
func plantedUnflippedConvolution(_ c: ConvCase) throws {
  var rng = SeededGenerator(seed: 21)
  let layer = PlantedBug.unflippedConvolution(
    inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernelSize,
    stride: c.stride, padding: c.padding, using: &rng)
  let report = try gradientCheck(layer, input: Tensor(randomNormal: c.shape, using: &rng), seed: 22)
  print("planted unflippedConvolution \(c.testDescription): \(report.entries)")
  let errors = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.name, $0.maxRelativeError) })
  #expect(errors["input"]! > 0.1, "the checker missed the unflipped kernel:\n\(report)")
  #expect(!report.passes())
  // Its weight and bias gradients are right, and the checker says so.
  #expect(errors["weight"]! < gradientCheckTolerance)
  #expect(errors["bias"]! < gradientCheckTolerance)
}

@Test("planted bug: max pool sending the gradient to every tie FAILS where ties are exact")
func plantedMaxPoolTies() throws {
  // Upsampling makes each 2x2 window four copies of one variable: an exact, smooth tie.
  let buggy = Sequential(try Upsample2D(factor: 2), PlantedBug.maxPoolGradientToAllTies(kernelSize: 2))
  var rng = SeededGenerator(seed: 23)
  let input = Tensor(gradientCheckInput: [2, 3, 3, 4], using: &rng)
  let report = try gradientCheck(buggy, input: input, seed: 24)
  print("planted maxPoolGradientToAllTies: \(report.entries)")
  #expect(report.maxRelativeError > 0.5)  // 4g against g: |4 − 1| / (4 + 1) = 0.6
  // The same composition with the real MaxPool2D passes (see MaxPool2DTests), and without ties
  // the bug is invisible: the reason the tie rule needs its own test.
  let withoutTies = try gradientCheck(PlantedBug.maxPoolGradientToAllTies(kernelSize: 2), input: input, seed: 24)
  #expect(withoutTies.passes())
}

@Test("planted bug: batch norm without its mean term FAILS the gradient check on its input",
      arguments: [[2, 1, 3, 4], [1, 3, 4, 3], [4, 2, 2, 2]])
func plantedBatchNorm(_ shape: [Int]) throws {
  var rng = SeededGenerator(seed: 25)
  let report = try gradientCheck(
    PlantedBug.batchNormWithoutMeanTerm(channels: shape[1]), input: Tensor(randomNormal: shape, using: &rng), seed: 26)
  print("planted batchNormWithoutMeanTerm \(shape): \(report.entries)")
  let errors = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.name, $0.maxRelativeError) })
  #expect(errors["input"]! > 0.1, "the checker missed the mean term:\n\(report)")
  #expect(errors["weight"]! < gradientCheckTolerance)
  #expect(errors["bias"]! < gradientCheckTolerance)
}
