// Tensor's subscripts (the ones the reference loops use) against the row-major rule that
// `offset` implements, and the per-dimension bounds check.

import Testing
@testable import CNN

@Test("x[i], x[i, j], x[i, j, k], x[n, c, h, w] read and write the row-major element",
      arguments: [[5], [3, 4], [2, 3, 4], [2, 3, 4, 5]])
func fixedAritySubscripts(_ shape: [Int]) {
  var tensor = Tensor(shape: shape) { Float($0) }
  var written = tensor
  // Every index, in row-major order: the flat position must count up one by one.
  var flat = 0
  func visit(_ prefix: [Int]) {
    if prefix.count == shape.count {
      let value: Float
      switch prefix.count {
      case 1: value = tensor[prefix[0]]
      case 2: value = tensor[prefix[0], prefix[1]]
      case 3: value = tensor[prefix[0], prefix[1], prefix[2]]
      default: value = tensor[prefix[0], prefix[1], prefix[2], prefix[3]]
      }
      #expect(value == Float(flat), "\(prefix) of \(shape)")
      #expect(tensor.offset(prefix) == flat)
      switch prefix.count {
      case 1: written[prefix[0]] = -value
      case 2: written[prefix[0], prefix[1]] = -value
      case 3: written[prefix[0], prefix[1], prefix[2]] = -value
      default: written[prefix[0], prefix[1], prefix[2], prefix[3]] = -value
      }
      flat += 1
      return
    }
    for i in 0..<shape[prefix.count] { visit(prefix + [i]) }
  }
  visit([])
  #expect(flat == tensor.count)
  #expect(written.scalars == tensor.scalars.map { -$0 })
  tensor = written  // copy-on-write: writing `written` left `tensor` alone until now
  #expect(tensor == written)
}

@Test("offset gives the row-major index of any rank")
func offsetOfRankFive() {
  var tensor = Tensor(zeros: [2, 1, 2, 1, 3])
  tensor.scalars[tensor.offset([1, 0, 1, 0, 2])] = 7
  #expect(tensor.scalars[tensor.count - 1] == 7)
  #expect(tensor.offset([1, 0, 0, 0, 1]) == 7)
}

@Test("an index past its own dimension traps even when the flat index is in range")
func subscriptChecksEachDimension() async {
  // [0, 3] of a 2x3 tensor is flat index 3, which exists ([1, 0]): only the per-dimension check catches it.
  await #expect(processExitsWith: .failure) {
    let tensor = Tensor(zeros: [2, 3])
    _ = tensor[0, 3]
  }
  await #expect(processExitsWith: .failure) {
    let tensor = Tensor(zeros: [1, 2, 2, 2])
    _ = tensor[0, 0, 2, 0]
  }
}
