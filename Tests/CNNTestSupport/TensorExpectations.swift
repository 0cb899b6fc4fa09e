// Tensor comparisons for tests, in the manner of llm.c's check_tensor: on failure the issue names
// the tensor, shows the first pairs and the worst element, rather than a bare `false`.

import CNN
import Foundation
import Testing

// The tolerance rule, the one every tensor comparison in the tests uses:
//
//     max_i |actual_i − expected_i| ≤ tolerance · max(1, max_i |expected_i|)
//
// The worst difference is measured against the tensor's scale, its largest |expected| element,
// and absolutely below 1. Why the tensor's scale and not each element's: Float rounding in a sum
// grows with the size of the terms summed, not of the result, so an output that happens to be
// near 0 among outputs of 50 carries the rounding of its large terms (an FFT's or a GEMM's
// reordered sums show exactly that). An element-wise relative bound would demand the impossible
// there; an absolute one would be meaningless for tensors of scale 1000.

/// How far `actual` is from `expected`, measured over every element.
public struct Closeness: Sendable {
  /// max |actual − expected|.
  public var maxDifference: Float
  /// max(1, max |expected|): what the tolerance is multiplied by.
  public var scale: Float
  /// The flat index of the element with the largest difference.
  public var worstIndex: Int
  /// maxDifference / scale: the quantity the tolerance bounds.
  public var maxScaledDifference: Float { maxDifference / scale }
}

/// Measures the element-wise distance between two tensors of equal element count.
public func closeness(_ expected: Tensor, _ actual: Tensor) -> Closeness {
  precondition(expected.count == actual.count, "closeness of tensors with different element counts")
  var result = Closeness(maxDifference: 0, scale: 1, worstIndex: 0)
  for (index, (e, a)) in zip(expected.scalars, actual.scalars).enumerated() {
    // A NaN anywhere must fail, so it counts as infinitely far.
    let difference = abs(a - e).isNaN ? Float.infinity : abs(a - e)
    result.scale = Swift.max(result.scale, abs(e))
    if difference > result.maxDifference {
      result.maxDifference = difference
      result.worstIndex = index
    }
  }
  return result
}

/// Expects `actual` to match `expected` by the tolerance rule above:
/// `max |actual − expected| ≤ tolerance · max(1, max |expected|)`.
///
/// On failure records one issue with `label`, both shapes, the first 5 (expected, actual) pairs and
/// the worst element. Returns the measured closeness so tests can report it; with the environment
/// variable `CNN_FIXTURE_REPORT` set, every comparison prints its measured error.
@discardableResult
public func expectClose(
  _ expected: Tensor, _ actual: Tensor, tolerance: Float, label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) -> Closeness? {
  guard expected.shape == actual.shape else {
    Issue.record(
      "\(label): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
    return nil
  }
  let measured = closeness(expected, actual)
  if ProcessInfo.processInfo.environment["CNN_FIXTURE_REPORT"] != nil {
    print("fixture-report \(label): max scaled difference \(measured.maxScaledDifference) "
      + "(max |diff| \(measured.maxDifference), scale \(measured.scale), tolerance \(tolerance))")
  }
  if !(measured.maxScaledDifference <= tolerance) {
    let pairs = zip(expected.scalars, actual.scalars).prefix(5)
      .map { "(\(format($0)), \(format($1)))" }.joined(separator: " ")
    let worst = measured.worstIndex
    Issue.record(
      """
      \(label) \(expected.shape): max |diff| \(format(measured.maxDifference)) > tolerance \(format(tolerance)) \
      · scale \(format(measured.scale)); worst at flat index \(worst): expected \(format(expected.scalars[worst])), \
      got \(format(actual.scalars[worst])); first pairs (expected, actual): \(pairs)
      """,
      sourceLocation: sourceLocation)
  }
  return measured
}

/// The same check for plain arrays (a sequence of losses, a few scalars).
@discardableResult
public func expectClose(
  _ expected: [Float], _ actual: [Float], tolerance: Float, label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) -> Closeness? {
  expectClose(
    Tensor(shape: [expected.count], scalars: expected), Tensor(shape: [actual.count], scalars: actual),
    tolerance: tolerance, label: label, sourceLocation: sourceLocation)
}

private func format(_ value: Float) -> String { String(format: "%.9g", Double(value)) }
