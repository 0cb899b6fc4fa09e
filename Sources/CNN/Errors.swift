// Errors a learner can meet: each is one line naming the file, layer or shape at fault.

import Foundation

/// An error whose description is one complete sentence for the command line.
public struct CNNError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }

  /// A tensor arrived at a layer with a shape the layer cannot take.
  public static func shape(_ layer: String, expected: String, got shape: [Int]) -> CNNError {
    CNNError("\(layer): expected input of shape \(expected), got \(shape)")
  }
}

extension CNNError {
  /// `backward` was called with no training-mode forward pass to go back through.
  public static func backwardWithoutForward(_ layer: String) -> CNNError {
    CNNError("\(layer).backward: no training-mode forward pass to go back through; call forward(_:mode: .training) first")
  }

  /// The gradient handed to `backward` does not have the shape of the last forward's output.
  public static func gradientShape(_ layer: String, expected: [Int], got shape: [Int]) -> CNNError {
    CNNError("\(layer).backward: gradient of shape \(shape) does not match the output shape \(expected) of the last forward pass")
  }
}

/// Throws `CNNError.gradientShape` unless `gradient` has shape `expected`.
func checkGradientShape(_ gradient: Tensor, expected: [Int], layer: String) throws {
  guard gradient.shape == expected else { throw CNNError.gradientShape(layer, expected: expected, got: gradient.shape) }
}

/// Why a file cannot be written at `path`, in words (Foundation's own message for a missing
/// folder is "The file doesn't exist."): the folder is missing, is not a folder, or is not
/// writable; or, when none of those holds, the system's reason.
public func writeProblem(at path: String) -> String {
  let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
  var isDirectory: ObjCBool = false
  if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
    return "the folder \(folder) does not exist"
  }
  if !isDirectory.boolValue { return "\(folder) is a file, not a folder" }
  if !FileManager.default.isWritableFile(atPath: folder) { return "permission denied: the folder \(folder) is not writable" }
  var isTargetDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isTargetDirectory), isTargetDirectory.boolValue {
    return "\(path) is a folder"
  }
  return String(cString: strerror(errno))
}
