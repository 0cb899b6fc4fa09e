// Tensor comparisons for tests, in the manner of llm.c's check_tensor: on failure the issue names
// the tensor, shows the first pairs and the worst element, rather than a bare `false`.

import CNN
import Foundation
import Testing

/// How far `actual` is from `expected`, measured over every element.
public struct Closeness: Sendable {
  /// max |actual − expected|.
  public var maxDifference: Float
  /// max |actual − expected| / max(1, |expected|): the quantity the tolerance bounds.
  public var maxScaledDifference: Float
  /// The flat index of the element with the largest scaled difference.
  public var worstIndex: Int
}

/// Measures the element-wise distance between two tensors of equal element count.
public func closeness(_ expected: Tensor, _ actual: Tensor) -> Closeness {
  precondition(expected.count == actual.count, "closeness of tensors with different element counts")
  var result = Closeness(maxDifference: 0, maxScaledDifference: 0, worstIndex: 0)
  for (index, (e, a)) in zip(expected.scalars, actual.scalars).enumerated() {
    let difference = abs(a - e)
    // A NaN anywhere must fail, so it counts as infinitely far.
    let scaled = difference.isNaN ? .infinity : difference / Swift.max(1, abs(e))
    result.maxDifference = Swift.max(result.maxDifference, difference.isNaN ? .infinity : difference)
    if scaled > result.maxScaledDifference {
      result.maxScaledDifference = scaled
      result.worstIndex = index
    }
  }
  return result
}

/// Expects `actual` to match `expected` element by element:
/// `|actual − expected| ≤ tolerance · max(1, |expected|)`, i.e. relative for elements of magnitude
/// above 1 and absolute below it (so values near zero are not held to an impossible relative bound).
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
      + "(max |diff| \(measured.maxDifference), tolerance \(tolerance))")
  }
  if !(measured.maxScaledDifference <= tolerance) {
    let pairs = zip(expected.scalars, actual.scalars).prefix(5)
      .map { "(\(format($0)), \(format($1)))" }.joined(separator: " ")
    let worst = measured.worstIndex
    Issue.record(
      """
      \(label) \(expected.shape): max |diff| \(format(measured.maxDifference)), scaled \
      \(format(measured.maxScaledDifference)) > tolerance \(format(tolerance)); \
      worst at flat index \(worst): expected \(format(expected.scalars[worst])), \
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
