import Testing
@testable import CNN

@Test("Dense backward matches numerical gradient", arguments: [[1, 5], [3, 4]])
func denseGradient(_ shape: [Int]) throws {
  var rng = SeededGenerator(seed: 12)
  let dense = try Dense(inputSize: shape[1], outputSize: 3, using: &rng)
  dense.bias.value = Tensor(randomNormal: [3], using: &rng)
  try expectGradientsMatch(dense, input: shape, smooth: true, label: "Dense")
}

@Test("Sequential(Dense, ReLU, Dense) backward matches numerical gradient, parameters named")
func sequentialGradient() throws {
  var rng = SeededGenerator(seed: 13)
  let model = Sequential(try Dense(inputSize: 4, outputSize: 6, using: &rng), Tanh(), try Dense(inputSize: 6, outputSize: 3, using: &rng))
  let report = try expectGradientsMatch(model, input: [2, 4], smooth: true, label: "Sequential")
  #expect(report.entries.map(\.name) == ["input", "0.weight", "0.bias", "2.weight", "2.bias"])
}
