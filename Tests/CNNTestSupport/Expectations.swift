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

/// `expectCNNError` for an input built to exhaust memory or time (gzip and PNG bombs): the refusal
/// must also come quickly. The old readers took 14 s and 4 GB on a 2 MB gzip bomb; 10 s is a loose
/// bound (a hang guard, not a speed target) because a loaded 2-core machine runs the tests.
public func expectQuickRefusal(_ fragments: [String], _ body: () throws -> Void,
                               sourceLocation: SourceLocation = #_sourceLocation) {
  let start = ContinuousClock.now
  expectCNNError(fragments, body, sourceLocation: sourceLocation)
  let elapsed = ContinuousClock.now - start
  #expect(elapsed < .seconds(10), "took \(elapsed)", sourceLocation: sourceLocation)
}
