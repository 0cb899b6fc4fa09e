// Exercise 8 (chapter 8): one step of SGD with momentum and weight decay, written by you.
// Grade it: swift run -c release cnn-lessons exercise 8   (only the Lessons target recompiles)

import CNN

extension YourCode {
  /// One update of stochastic gradient descent with momentum, in PyTorch's form (torch.optim.SGD,
  /// dampening 0, no Nesterov), for one parameter tensor θ = `weights`.
  ///
  ///     g  = gradient + weightDecay · θ          (L2 penalty folded into the gradient)
  ///     b′ = momentum · b + g                    (b = `velocity`, zeros before the first step)
  ///     θ′ = θ − learningRate · b′
  ///
  /// Returns (θ′, b′). Shapes: weights, gradient and velocity all alike; the results too.
  ///
  /// Hints:
  /// - Step against the gradient (minus), after folding in the weight decay, before momentum.
  /// - The velocity holds the running sum of gradients, not of updates: the learning rate multiplies
  ///   it only when θ moves (PyTorch's form; Sutskever's folds the rate in, which differs as soon as
  ///   the rate changes between steps).
  ///
  /// Reference solution, for after your attempt: `SGD.step` in Sources/CNN/Optimizers/SGD.swift.
  static func sgdMomentumStep(
    weights: Tensor, gradient: Tensor, velocity: Tensor, learningRate: Float, momentum: Float, weightDecay: Float
  ) throws -> (weights: Tensor, velocity: Tensor) {
    throw NotWrittenYet("YourCode.sgdMomentumStep")
  }
}
