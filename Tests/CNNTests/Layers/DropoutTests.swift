import Testing
@testable import CNN

@Test("Dropout: E[dropout(x)] ≈ x, and about rate of the elements are zeroed")
func dropoutExpectation() throws {
  let dropout = try Dropout(rate: 0.5, seed: 7)
  let x = Tensor(repeating: 2, shape: [100, 1000])
  let y = try dropout.forward(x, mode: .training)
  #expect(abs(y.mean() - 2) / 2 < 0.01)
  let zeroed = Float(y.scalars.filter { $0 == 0 }.count) / Float(y.count)
  #expect(abs(zeroed - 0.5) < 0.01)
  #expect(y.scalars.allSatisfy { $0 == 0 || $0 == 4 })  // survivors scaled by 1/(1 − p)
}

@Test("Dropout is the identity at inference")
func dropoutInference() throws {
  var rng = SeededGenerator(seed: 8)
  let x = Tensor(randomNormal: [3, 10], using: &rng)
  #expect(try Dropout(rate: 0.3, seed: 1).forward(x, mode: .inference) == x)
}

@Test("Dropout: same seed same masks, different seed different masks; backward uses the mask")
func dropoutSeeded() throws {
  let x = Tensor(repeating: 1, shape: [4, 50])
  let a = try Dropout(rate: 0.25, seed: 42), b = try Dropout(rate: 0.25, seed: 42), c = try Dropout(rate: 0.25, seed: 43)
  let ya = try a.forward(x, mode: .training)
  #expect(ya == (try b.forward(x, mode: .training)))
  #expect(ya != (try c.forward(x, mode: .training)))
  // A second pass draws a new mask.
  #expect(try a.forward(x, mode: .training) != ya)
  // Backward multiplies by exactly the mask used in the last forward.
  let yb2 = try b.forward(x, mode: .training)
  let g = try b.backward(Tensor(repeating: 3, shape: [4, 50]))
  #expect(g == yb2 * 3)
}
