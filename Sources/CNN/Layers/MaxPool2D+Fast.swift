// The fast path of MaxPool2D for its most common shape, 2x2 windows moved by 2 (LeNet, VGG, the
// modern benchmark network): four loads and three compares per output instead of the generic
// window loops. Same numbers, same argmax and tie rule as the generic loops in MaxPool2D.swift.

extension MaxPool2D {
  /// Max pooling with K = 2, S = 2 over the planes `planes` (each H x W) of a batch, on pointers
  /// to the whole input, output and argmax.
  ///
  ///     output[p, y, x] = max(input[p, 2y, 2x], input[p, 2y, 2x+1], input[p, 2y+1, 2x], input[p, 2y+1, 2x+1])
  ///
  /// Candidates are compared in row-major window order with a strict ">", so the first maximum wins
  /// (the tie rule of `MaxPool2D`). `argmax` receives flat indices into the input.
  static func forward2x2(
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
    planes: Range<Int>, height h: Int, width w: Int
  ) {
    let outHeight = h / 2, outWidth = w / 2
    for plane in planes {
      let inBase = plane * h * w
      let outBase = plane * outHeight * outWidth
      for y in 0..<outHeight {
        let top = inBase + 2 * y * w
        let out = output + outBase + y * outWidth
        let winners = argmax + outBase + y * outWidth
        for x in 0..<outWidth {
          var best = top + 2 * x
          var value = input[best]
          let candidates = (best + 1, best + w, best + w + 1)
          if input[candidates.0] > value { best = candidates.0; value = input[best] }
          if input[candidates.1] > value { best = candidates.1; value = input[best] }
          if input[candidates.2] > value { best = candidates.2; value = input[best] }
          out[x] = value
          winners[x] = Int32(truncatingIfNeeded: best)
        }
      }
    }
  }
}
