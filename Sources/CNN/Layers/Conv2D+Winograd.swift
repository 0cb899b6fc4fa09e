// Winograd F(2x2,3x3) convolution (placeholder until implemented: delegates to im2col).

extension Conv2D {
  static func winogradApplies(kernelSize: Int, stride: Int) -> Bool { kernelSize == 3 && stride == 1 }

  public static func winogradForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    try im2colForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
  }

  public static func winogradBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding)
  }

  static func automaticAlgorithm(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, height: Int, width: Int
  ) -> ConvolutionAlgorithm { .im2col }
}
