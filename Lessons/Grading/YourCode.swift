// The namespace of the functions a learner writes in Lessons/Exercises/, and the error their stubs
// throw until the body is written. The graders call these through closures (ExerciseGrader).

/// The functions you write in the exercises (`Lessons/Exercises/NN-*.swift`) live here, so their
/// names never clash with the library's own (`CNN.im2col`, `CNN.softmaxCrossEntropy`).
public enum YourCode {}

/// What an exercise's stub throws until its body is written: the grader reports the exercise as
/// not started, with this one line, instead of failing every check with a crash.
public struct NotWrittenYet: Error, CustomStringConvertible, Sendable {
  /// The function still to write, such as `YourCode.convolutionForward`.
  public let function: String
  public init(_ function: String) { self.function = function }
  public var description: String {
    "\(function) is not written yet: replace the `throw NotWrittenYet(…)` line in its exercise file"
  }
}
