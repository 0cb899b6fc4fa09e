import Testing
@testable import CNN

/// Runs `optimizer` over one parameter θ = [1, −2] with the given gradients, returning θ after each step.
private func trace(_ makeOptimizer: ([Parameter]) throws -> Optimizer, gradients: [[Float]]) throws -> [[Float]] {
  let theta = Parameter(name: "theta", value: Tensor(shape: [2], scalars: [1, -2]))
  let optimizer = try makeOptimizer([theta])
  return gradients.map { g in
    optimizer.zeroGrad()
    theta.grad.add(Tensor(shape: [2], scalars: g))
    optimizer.step()
    return theta.value.scalars
  }
}

private func expectClose(_ actual: [[Float]], _ expected: [[Float]], tolerance: Float = 1e-6,
                         sourceLocation: SourceLocation = #_sourceLocation) {
  for (a, e) in zip(actual.joined(), expected.joined()) {
    #expect(abs(a - e) <= tolerance, "got \(actual), expected \(expected)", sourceLocation: sourceLocation)
  }
}

let gradients: [[Float]] = [[0.5, 0.25], [0.5, -1]]

// First columns by hand; second columns from torch.optim (torch 2.x) on the same numbers.

@Test("SGD plain: θ − lr·g")
func sgdPlain() throws {
  // 1 − 0.1·0.5 = 0.95, then 0.95 − 0.05 = 0.9
  expectClose(try trace({ try SGD(parameters: $0, learningRate: 0.1) }, gradients: gradients),
              [[0.95, -2.025], [0.9, -1.925]])
}

@Test("SGD momentum and weight decay: PyTorch's rule, buffer = g on the first step")
func sgdMomentum() throws {
  // step 1: g = 0.5 + 0.01·1 = 0.51, b = 0.51, θ = 1 − 0.051 = 0.949
  // step 2: g = 0.5 + 0.01·0.949 = 0.50949, b = 0.9·0.51 + 0.50949 = 0.96849, θ = 0.949 − 0.096849
  expectClose(try trace({ try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }, gradients: gradients),
              [[0.949, -2.023], [0.852151, -1.941677]])
}

@Test("SGD Nesterov: step along g + momentum·b")
func sgdNesterov() throws {
  // step 1: b = 0.51, g' = 0.51 + 0.9·0.51 = 0.969, θ = 0.9031
  // step 2: g = 0.509031, b = 0.459 + 0.509031 = 0.968031, g' = 0.509031 + 0.8712279, θ = 0.7650741
  expectClose(try trace({ try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01) }, gradients: gradients),
              [[0.9031, -2.0437], [0.7650741, -1.868447]])
}

@Test("Adam: bias correction makes the first steps ≈ lr·sign(g)")
func adamSteps() throws {
  // step 1: m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25 → θ = 1 − 0.1·0.5/0.5 = 0.9
  // step 2 (same g): m̂ = 0.095/0.19 = 0.5, v̂ = 0.00049975/0.001999 = 0.25 → θ = 0.8
  expectClose(try trace({ try Adam(parameters: $0, learningRate: 0.1) }, gradients: gradients),
              [[0.9, -2.1], [0.8, -2.0440495]])
}

@Test("Adam weight decay is L2 added to the gradient, like torch.optim.Adam")
func adamWeightDecay() throws {
  expectClose(try trace({ try Adam(parameters: $0, learningRate: 0.1, weightDecay: 0.1) }, gradients: gradients),
              [[0.9, -2.1], [0.80004734, -2.0284147]])
}

@Test("optimizers lower a quadratic loss and zeroGrad clears gradients")
func optimizersDescend() throws {
  for make in [{ try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) as Optimizer },
               { try Adam(parameters: $0, learningRate: 0.1) as Optimizer }] {
    let theta = Parameter(name: "theta", value: Tensor(shape: [3], scalars: [3, -1, 2]))
    let optimizer = try make([theta])
    for _ in 0..<100 {
      optimizer.zeroGrad()
      theta.grad.add(theta.value, scaledBy: 2)  // ∂/∂θ of |θ|²
      optimizer.step()
    }
    #expect(theta.value.norm() < 0.1)
    optimizer.zeroGrad()
    #expect(theta.grad == Tensor(zeros: [3]))
  }
}
