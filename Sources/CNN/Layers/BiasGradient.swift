// The bias gradient shared by Dense and the fast convolutions: a bias is added once to every
// output of its channel, so its gradient is the sum of those outputs' gradients.

/// Adds the bias gradient of the images `images` of gradOutput into `gradBias`:
///
///     gradBias[o] += Σ_{y,x} gradOutput[n, o, y, x]   for n in `images`
///
/// gradOutput is read as (N, O, planeSize) with O = `channels`: planeSize = H′·W′ for a
/// convolution, 1 for a dense layer's (N, O). Each plane is summed in Float in index order, then
/// added to gradBias[o], image after image, so every caller gets the same bits for the same
/// order of images. (`Conv2D.directBackward`, the reference, deliberately keeps its own loop.)
/// The pointers may be nil for empty tensors (an empty batch's `baseAddress`): nothing to add.
func accumulateBiasGradient(
  _ gradOutput: UnsafePointer<Float>?, images: Range<Int>, channels: Int, planeSize: Int,
  into gradBias: UnsafeMutablePointer<Float>?
) {
  guard let gradOutput, let gradBias else { return }
  for n in images {
    for o in 0..<channels {
      let plane = gradOutput + (n * channels + o) * planeSize
      var sum: Float = 0
      for index in 0..<planeSize { sum += plane[index] }
      gradBias[o] += sum
    }
  }
}
