// The Layer protocol: forward and a hand-written backward, paired; parameters that carry their
// gradients; the explicit training/inference mode; and Sequential, the container that chains them.

/// Whether a pass is training (batch statistics, dropout, caches kept) or inference.
public enum Mode: Sendable {
  case training, inference
}

/// A trainable tensor and the gradient accumulated for it since the last `zeroGrad()`.
///
/// Also used, with a gradient that stays zero, for non-trainable state such as batch norm's running
/// statistics, so that checkpoints treat both alike.
public final class Parameter {
  /// A dotted name such as `"0.weight"`: used in checkpoints, reports and test labels.
  /// Containers prefix their children's names when the model is assembled.
  public var name: String
  public var value: Tensor
  /// ∂L/∂value, same shape as `value`; accumulates (`+=`) until `zeroGrad()`.
  public var grad: Tensor

  public init(name: String, value: Tensor) {
    self.name = name
    self.value = value
    self.grad = Tensor(zeros: value.shape)
  }

  /// Resets the accumulated gradient to zero, keeping its storage.
  public func zeroGrad() { grad.fillZero() }
}

/// One stage of a network, with a hand-written backward pass.
public protocol Layer: AnyObject {
  /// Returns the output; in `.training` mode also keeps what `backward` needs.
  /// Throws a `CNNError` naming the layer and both shapes when the input does not fit.
  func forward(_ input: Tensor, mode: Mode) throws -> Tensor

  /// Takes ∂L/∂output, returns ∂L/∂input, and adds ∂L/∂θ into each parameter's `grad`.
  /// Must follow a `.training` forward pass; throws a `CNNError` naming the layer when there was
  /// none, or when `gradOutput` does not have the shape of that pass's output.
  func backward(_ gradOutput: Tensor) throws -> Tensor

  /// `backward` for a caller that may not use ∂L/∂input, such as the trainer for the network's
  /// first layer (PyTorch likewise skips the gradient of an input that does not require one).
  /// Parameter gradients accumulate as always; when `needsInputGradient` is false a layer may skip
  /// computing ∂L/∂input and return zeros of the input's shape. The default calls `backward(_:)`.
  func backward(_ gradOutput: Tensor, needsInputGradient: Bool) throws -> Tensor

  /// Trainable parameters in a stable order (the checkpoint order).
  var parameters: [Parameter] { get }

  /// Non-trainable state saved in checkpoints (running statistics).
  var buffers: [Parameter] { get }

  /// A short description for model summaries, such as `Conv2D(1→6, 5x5, pad 2)`.
  var summary: String { get }
}

extension Layer {
  public var parameters: [Parameter] { [] }
  public var buffers: [Parameter] { [] }
  public var summary: String { String(describing: type(of: self)) }
  public func backward(_ gradOutput: Tensor, needsInputGradient: Bool) throws -> Tensor {
    try backward(gradOutput)
  }

  /// `layer(x, mode: .training)`: the call syntax, with the mode always visible.
  public func callAsFunction(_ input: Tensor, mode: Mode) throws -> Tensor {
    try forward(input, mode: mode)
  }

  /// Zeroes every parameter's gradient.
  public func zeroGrad() { for parameter in parameters { parameter.zeroGrad() } }

  /// The number of trainable scalars.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// Layers applied one after another; backward walks them in reverse.
public final class Sequential: Layer {
  public let layers: [Layer]

  /// Chains `layers`, naming each parameter `"<index>.<name>"` as PyTorch's `nn.Sequential` does.
  public init(_ layers: [Layer]) {
    self.layers = layers
    for (index, layer) in layers.enumerated() {
      for parameter in layer.parameters + layer.buffers {
        parameter.name = "\(index).\(parameter.name)"
      }
    }
  }

  public convenience init(_ layers: Layer...) { self.init(layers) }

  public func forward(_ input: Tensor, mode: Mode) throws -> Tensor {
    var x = input
    for layer in layers { x = try layer.forward(x, mode: mode) }
    return x
  }

  public func backward(_ gradOutput: Tensor) throws -> Tensor {
    try backward(gradOutput, needsInputGradient: true)
  }

  /// Backward through every layer in reverse; only the first layer is told whether its input
  /// gradient is needed (every other layer's input gradient feeds the layer before it).
  public func backward(_ gradOutput: Tensor, needsInputGradient: Bool) throws -> Tensor {
    var gradient = gradOutput
    for index in layers.indices.reversed() {
      gradient = try layers[index].backward(gradient, needsInputGradient: index > 0 || needsInputGradient)
    }
    return gradient
  }

  /// The output of every layer for one input, for feature-map figures.
  public func activations(_ input: Tensor, mode: Mode = .inference) throws -> [Tensor] {
    var outputs: [Tensor] = []
    var x = input
    for layer in layers {
      x = try layer.forward(x, mode: mode)
      outputs.append(x)
    }
    return outputs
  }

  public var parameters: [Parameter] { layers.flatMap(\.parameters) }
  public var buffers: [Parameter] { layers.flatMap(\.buffers) }
  public var summary: String { layers.map(\.summary).joined(separator: " → ") }
}
