// FFT convolution (placeholder until implemented: delegates to im2col).

extension Conv2D {
  public static func fftForward(
    input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int
  ) throws -> Tensor {
    try im2colForward(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
  }

  public static func fftBackward(
    gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int, padding: Int
  ) -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: stride, padding: padding)
  }
}

extension Conv2D {
  static func automaticAlgorithm(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, height: Int, width: Int
  ) -> ConvolutionAlgorithm { .im2col }
}
