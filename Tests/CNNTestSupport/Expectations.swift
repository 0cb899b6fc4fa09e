// Helpers every test target shares: a fresh temporary folder, and the one-line error contract.

import CNN
import Foundation
import Testing

/// A fresh empty folder under the system temp directory.
public func makeTemporaryFolder(_ label: String) throws -> String {
  let path = NSTemporaryDirectory() + "cnn-\(label)-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Expects `body` to throw a CNNError whose one-line message contains every fragment.
public func expectCNNError(_ fragments: [String], _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
  do {
    try body()
    Issue.record("expected a CNNError containing \(fragments)", sourceLocation: sourceLocation)
  } catch let error as CNNError {
    for fragment in fragments {
      #expect(error.description.contains(fragment), "\(error.description) should mention \(fragment)",
              sourceLocation: sourceLocation)
    }
    #expect(!error.description.contains("\n"), "error should be one line: \(error.description)",
            sourceLocation: sourceLocation)
  } catch {
    Issue.record("expected a CNNError, got \(error)", sourceLocation: sourceLocation)
  }
}
