// A Conv2D reuses its scratch buffers (ConvolutionWorkspace) across calls: results must not depend
// on what an earlier call of another shape left in them.

import Testing
@testable import CNN

/// Batch and image sizes in an order that grows, shrinks and grows the buffers again (run with
/// 3 → 5 channels, 3x3 kernel, stride 1, padding 1, so Winograd applies as well as im2col).
private let workspaceShapes: [ConvolutionCase] = [
  ConvolutionCase(n: 4, c: 3, o: 5, h: 12, w: 10, k: 3, s: 1, p: 1),
  ConvolutionCase(n: 1, c: 3, o: 5, h: 5, w: 7, k: 3, s: 1, p: 0),
  ConvolutionCase(n: 3, c: 3, o: 5, h: 9, w: 9, k: 3, s: 1, p: 2),
  ConvolutionCase(n: 4, c: 3, o: 5, h: 12, w: 10, k: 3, s: 1, p: 1),
]

@Test("a Conv2D reusing its workspace across shapes matches fresh static calls exactly",
      arguments: [ConvolutionAlgorithm.im2col, .winograd])
func workspaceReuseAcrossShapes(_ algorithm: ConvolutionAlgorithm) throws {
  var rng = SeededGenerator(seed: 21)
  // One layer, one padding: the shapes differ in batch and spatial size, which is what resizes the buffers.
  let shared = try Conv2D(inChannels: 3, outChannels: 5, kernelSize: 3, padding: 1, algorithm: algorithm, using: &rng)
  for (index, shape) in workspaceShapes.enumerated() {
    let padded = ConvolutionCase(n: shape.n, c: 3, o: 5, h: shape.h, w: shape.w, k: 3, s: 1, p: 1)
    let operands = try padded.operands(seed: UInt64(100 + index))
    shared.weight.value = operands.weight
    shared.bias.value = operands.bias
    let output = try shared.forward(operands.input, mode: .training)
    let expected = algorithm == .winograd
      ? try Conv2D.winogradForward(input: operands.input, weight: operands.weight, bias: operands.bias, stride: 1, padding: 1)
      : try Conv2D.im2colForward(input: operands.input, weight: operands.weight, bias: operands.bias, stride: 1, padding: 1)
    #expect(output.shape == expected.shape)
    #expect(output.scalars == expected.scalars, "forward differs at shape \(index): \(padded)")
    shared.weight.zeroGrad()
    shared.bias.zeroGrad()
    let gradInput = try shared.backward(operands.gradOutput)
    let reference = algorithm == .winograd
      ? try Conv2D.winogradBackward(gradOutput: operands.gradOutput, input: operands.input, weight: operands.weight, stride: 1, padding: 1)
      : try Conv2D.im2colBackward(gradOutput: operands.gradOutput, input: operands.input, weight: operands.weight, stride: 1, padding: 1)
    #expect(gradInput.scalars == reference.gradInput.scalars, "gradInput differs at shape \(index): \(padded)")
    #expect(shared.weight.grad.scalars == reference.gradWeight.scalars, "gradWeight differs at shape \(index): \(padded)")
    #expect(shared.bias.grad.scalars == reference.gradBias.scalars, "gradBias differs at shape \(index): \(padded)")
  }
}
