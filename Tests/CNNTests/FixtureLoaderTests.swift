// The fixture loader itself: every committed fixture loads, and a wrong format is refused with the
// regeneration hint rather than compared against stale numbers.

import CNNTestSupport
import Foundation
import Testing

@testable import CNN

@Suite("Fixture loader")
struct FixtureLoaderTests {
  static let names = [
    "conv2d_basic", "conv2d_s2_p1", "conv2d_p2", "conv2d_k5_p2", "conv2d_s2_nobias",
    "maxpool_2x2", "maxpool_3x3_s2", "avgpool_2x2", "avgpool_3x3_s2", "dense", "batchnorm2d",
    "softmax_cross_entropy", "softmax_cross_entropy_large", "mean_squared_error", "optimizers_tiny",
    "lenet_trace",
  ]

  @Test("every fixture loads, has format 1, a seed and the torch version", arguments: names)
  func loads(name: String) throws {
    let fixture = try Fixture.named(name)
    #expect(try fixture.int("format") == 1)
    #expect(try fixture.int("seed") == 20_241_129)
    #expect(try fixture.string("torch").isEmpty == false)
  }

  @Test("a fixture of another format is refused with the regeneration hint")
  func wrongFormat() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("fixture-format-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try Data(#"{"format": 2, "x": {"shape": [1], "values": [1]}}"#.utf8)
      .write(to: folder.appendingPathComponent("old.json"))
    let error = #expect(throws: CNNError.self) { try Fixture.load("old", in: folder) }
    #expect(
      error?.description
        == "fixture old: fixture format 1 expected (found 2); regenerate with Tests/CNNTests/Fixtures/make_fixtures.py")
  }

  @Test("tensors decode exactly: shape, values, integer grids and samples")
  func decoding() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("fixture-decode-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try Data(
      #"""
      {"format": 1, "a": {"shape": [2, 2], "values": [0.1, -2.5e-07, 3, 0.333333343]},
       "q": {"shape": [3], "scale": 0.0078125, "integers": [-3, 0, 64]},
       "s": {"shape": [2, 5], "stride": 4, "values": [1, 2, 3]},
       "bad": {"shape": [3], "values": [1, 2]}}
      """#.utf8
    ).write(to: folder.appendingPathComponent("t.json"))
    let fixture = try Fixture.load("t", in: folder)
    #expect(try fixture.tensor("a") == Tensor(shape: [2, 2], scalars: [0.1, -2.5e-07, 3, 1 / 3]))
    #expect(try fixture.tensor("q").scalars == [-0.0234375, 0, 0.5])
    let sample = try fixture.sampledTensor("s")
    #expect(sample.sample(of: Tensor(shape: [2, 5], generator: { Float($0) })).scalars == [0, 4, 8])
    #expect(throws: CNNError.self) { try fixture.tensor("bad") }
    #expect(throws: CNNError.self) { try fixture.tensor("missing") }
  }
}
