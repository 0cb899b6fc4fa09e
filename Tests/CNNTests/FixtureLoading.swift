// Finds the committed PyTorch fixtures inside this test target's resource bundle.

import CNN
import CNNTestSupport
import Foundation

extension Fixture {
  /// `Fixtures/<name>.json` from the CNNTests bundle (copied there by `resources: [.copy("Fixtures")]`).
  static func named(_ name: String) throws -> Fixture {
    guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
      throw CNNError("the Fixtures folder is missing from the CNNTests bundle")
    }
    return try load(name, in: folder)
  }
}
