import Testing
@testable import CNN

@Test("AvgPool2D backward matches numerical gradient", arguments: poolCases)
func avgPoolGradient(_ c: PoolCase) throws {
  try expectGradientsMatch(try AvgPool2D(kernelSize: c.kernelSize, stride: c.stride), input: c.shape, label: "AvgPool2D")
}

@Test("AvgPool2D forward and backward on a literal")
func avgPoolLiteral() throws {
  let pool = try AvgPool2D(kernelSize: 2)
  let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0,
                                                3, 3, 8, 6])
  #expect(try pool.forward(x, mode: .training).scalars == [3, 4])
  let g = try pool.backward(Tensor(shape: [1, 1, 1, 2], scalars: [4, 8]))
  #expect(g.scalars == [1, 1, 2, 2,  1, 1, 2, 2])
}
