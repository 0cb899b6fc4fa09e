// Errors a learner can meet: each is one line naming the file, layer or shape at fault.

/// An error whose description is one complete sentence for the command line.
public struct CNNError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }

  /// A tensor arrived at a layer with a shape the layer cannot take.
  public static func shape(_ layer: String, expected: String, got shape: [Int]) -> CNNError {
    CNNError("\(layer): expected input of shape \(expected), got \(shape)")
  }
}
