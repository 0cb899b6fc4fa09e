import Testing
@testable import CNN

struct PoolCase: CustomTestStringConvertible, Sendable {
  let kernelSize: Int, stride: Int, shape: [Int]
  var testDescription: String { "K\(kernelSize) S\(stride) \(shape)" }
}

// Strides 1 and 2 (overlapping and not), 1 and 3 channels, batch 1 and 2, non-square inputs.
let poolCases: [PoolCase] = [
  PoolCase(kernelSize: 2, stride: 2, shape: [1, 1, 4, 6]),
  PoolCase(kernelSize: 2, stride: 1, shape: [2, 3, 5, 4]),
  PoolCase(kernelSize: 3, stride: 2, shape: [2, 1, 7, 5]),
  PoolCase(kernelSize: 3, stride: 1, shape: [1, 3, 4, 5]),
  PoolCase(kernelSize: 2, stride: 2, shape: [2, 3, 5, 7]),  // odd sizes: the last row/column is dropped
]

@Test("MaxPool2D backward matches numerical gradient", arguments: poolCases)
func maxPoolGradient(_ c: PoolCase) throws {
  try expectGradientsMatch(try MaxPool2D(kernelSize: c.kernelSize, stride: c.stride), input: c.shape, label: "MaxPool2D")
}

@Test("MaxPool2D forward and backward on a literal")
func maxPoolLiteral() throws {
  let pool = try MaxPool2D(kernelSize: 2)
  let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0,
                                                3, 4, 8, 8])
  let y = try pool.forward(x, mode: .training)
  #expect(y == Tensor(shape: [1, 1, 1, 2], scalars: [5, 8]))
  let g = try pool.backward(Tensor(shape: [1, 1, 1, 2], scalars: [10, 20]))
  #expect(g.scalars == [0, 10, 0, 0,
                        0, 0, 20, 0])  // tie 8, 8: the first in row-major order wins
}

@Test("MaxPool2D tie rule: one winner on an all-equal window, gradient sum kept")
func maxPoolTieRule() throws {
  let pool = try MaxPool2D(kernelSize: 3, stride: 1)
  let x = Tensor(repeating: 2, shape: [1, 1, 4, 4])
  _ = try pool.forward(x, mode: .training)
  let g = try pool.backward(Tensor(repeating: 1, shape: [1, 1, 2, 2]))
  // Every window's first element is its top-left corner.
  #expect(g.scalars == [1, 1, 0, 0,  1, 1, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0])
  #expect(g.sum() == 4)
}

@Test("MaxPool2D ties made of one variable: the checker sees the whole gradient arrive once")
func maxPoolStructuralTies() throws {
  // Upsampling copies each pixel into a 2x2 block, so every pooled window is an exact tie of one
  // variable; max is then smooth in that variable with derivative 1.
  let model = Sequential(try Upsample2D(factor: 2), try MaxPool2D(kernelSize: 2))
  try expectGradientsMatch(model, input: [2, 3, 3, 4], label: "Upsample2D→MaxPool2D")
}

@Test("MaxPool2D refuses inputs the window does not fit")
func maxPoolBadInput() {
  #expect(throws: CNNError.self) { try MaxPool2D(kernelSize: 3).forward(Tensor(zeros: [1, 1, 2, 5]), mode: .inference) }
  #expect(throws: CNNError.self) { try MaxPool2D(kernelSize: 2).forward(Tensor(zeros: [4, 4]), mode: .inference) }
}
