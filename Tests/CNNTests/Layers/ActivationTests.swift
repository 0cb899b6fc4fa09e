import Testing
@testable import CNN

let activationShapes: [[Int]] = [[1, 1, 3, 5], [2, 3, 4, 3], [4, 7]]

@Test("ReLU backward matches numerical gradient", arguments: activationShapes)
func reluGradient(_ shape: [Int]) throws {
  try expectGradientsMatch(ReLU(), input: shape, label: "ReLU")
}

@Test("LeakyReLU backward matches numerical gradient", arguments: activationShapes)
func leakyReLUGradient(_ shape: [Int]) throws {
  try expectGradientsMatch(LeakyReLU(slope: 0.1), input: shape, label: "LeakyReLU")
}

@Test("Sigmoid backward matches numerical gradient", arguments: activationShapes)
func sigmoidGradient(_ shape: [Int]) throws {
  try expectGradientsMatch(Sigmoid(), input: shape, smooth: true, label: "Sigmoid")
}

@Test("Tanh backward matches numerical gradient", arguments: activationShapes)
func tanhGradient(_ shape: [Int]) throws {
  try expectGradientsMatch(Tanh(), input: shape, smooth: true, label: "Tanh")
}

@Test("activations on literals")
func activationLiterals() throws {
  let x = Tensor(shape: [4], scalars: [-2, 0, 0.5, 3])
  #expect(try ReLU().forward(x, mode: .inference).scalars == [0, 0, 0.5, 3])
  #expect(try LeakyReLU(slope: 0.1).forward(x, mode: .inference).scalars == [-0.2, 0, 0.5, 3])
  let s = try Sigmoid().forward(Tensor(shape: [3], scalars: [0, -100, 100]), mode: .inference).scalars
  #expect(s == [0.5, 0, 1])  // saturates without NaN
  let t = try Tanh().forward(Tensor(shape: [2], scalars: [0, 1]), mode: .inference).scalars
  #expect(t[0] == 0 && abs(t[1] - 0.7615942) < 1e-6)
}

@Test("Flatten backward matches numerical gradient and restores the shape")
func flattenGradient() throws {
  try expectGradientsMatch(Flatten(), input: [2, 3, 2, 5], label: "Flatten")
  let flatten = Flatten()
  let y = try flatten.forward(Tensor(zeros: [2, 3, 4, 5]), mode: .training)
  #expect(y.shape == [2, 60])
  #expect(try flatten.backward(y).shape == [2, 3, 4, 5])
}
