import Foundation
import Testing
@testable import CNN

private func temporaryPath(_ name: String) -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("cnn-\(name)-\(getpid()).ckpt").path
}

private func smallModel(seed: UInt64) throws -> Sequential {
  var rng = SeededGenerator(seed: seed)
  return Sequential(try BatchNorm2D(channels: 2), Flatten(), try Dense(inputSize: 18, outputSize: 4, using: &rng))
}

/// Every parameter and buffer value of a model, for bit-for-bit comparisons.
private func snapshot(_ model: Layer) -> [[UInt32]] {
  (model.parameters + model.buffers).map { $0.value.scalars.map(\.bitPattern) }
}

@Test("checkpoint round trip is bit-identical, buffers included")
func checkpointRoundTrip() throws {
  let path = temporaryPath("roundtrip")
  defer { try? FileManager.default.removeItem(atPath: path) }
  let source = try smallModel(seed: 1)
  var rng = SeededGenerator(seed: 2)
  _ = try source.forward(Tensor(randomNormal: [4, 2, 3, 3], using: &rng), mode: .training)  // move running stats
  try Checkpoint.save(source, to: path)
  let folder = (path as NSString).deletingLastPathComponent
  let name = (path as NSString).lastPathComponent
  let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
    .filter { AtomicFile.isTemporary($0) && $0.hasPrefix(".\(name).") }
  #expect(leftovers.isEmpty)
  let target = try smallModel(seed: 99)
  #expect(snapshot(target) != snapshot(source))
  try Checkpoint.load(into: target, from: path)
  #expect(snapshot(target) == snapshot(source))
  let x = Tensor(randomNormal: [3, 2, 3, 3], using: &rng)
  #expect(try target.forward(x, mode: .inference) == source.forward(x, mode: .inference))
}

/// Expects `load` to throw a one-line CNNError and to leave `model` exactly as it was.
private func expectRefused(_ bytes: [UInt8], into model: Layer, _ label: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
  let path = temporaryPath("bad-\(label)")
  defer { try? FileManager.default.removeItem(atPath: path) }
  _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
  let before = snapshot(model)
  do {
    try Checkpoint.load(into: model, from: path)
    Issue.record("\(label): a bad checkpoint was accepted", sourceLocation: sourceLocation)
  } catch let error as CNNError {
    print("refused \(label): \(error)")
    #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
  }
  #expect(snapshot(model) == before, "\(label): model changed by a refused load", sourceLocation: sourceLocation)
}

@Test("checkpoint: truncated, flipped-byte, wrong-shape, wrong-magic files are refused; model untouched")
func checkpointRefusals() throws {
  let path = temporaryPath("good")
  defer { try? FileManager.default.removeItem(atPath: path) }
  try Checkpoint.save(try smallModel(seed: 3), to: path)
  let good = [UInt8](FileManager.default.contents(atPath: path)!)
  let model = try smallModel(seed: 4)

  for cut in [0, 5, 12, 40, good.count / 2, good.count - 1] {
    try expectRefused(Array(good.prefix(cut)), into: model, "truncated at \(cut)")
  }
  for position in [3, 9, 30, good.count / 2, good.count - 2] {
    var flipped = good
    flipped[position] ^= 0x10
    try expectRefused(flipped, into: model, "flipped byte \(position)")
  }
  try expectRefused(good + [0], into: model, "trailing byte")
  // Same names, different shapes.
  var rng = SeededGenerator(seed: 5)
  let wider = Sequential(try BatchNorm2D(channels: 2), Flatten(), try Dense(inputSize: 18, outputSize: 5, using: &rng))
  let widerPath = temporaryPath("wider")
  defer { try? FileManager.default.removeItem(atPath: widerPath) }
  try Checkpoint.save(wider, to: widerPath)
  try expectRefused([UInt8](FileManager.default.contents(atPath: widerPath)!), into: model, "wrong shape")
  // A different architecture.
  try expectRefused([UInt8](FileManager.default.contents(atPath: path)!), into: Sequential(Flatten(), try Dense(inputSize: 18, outputSize: 4, using: &rng)), "wrong model")
  #expect(throws: CNNError.self) { try Checkpoint.load(into: model, from: temporaryPath("missing")) }
  #expect(throws: CNNError.self) { try Checkpoint.save(model, to: "/nonexistent-folder/x.ckpt") }
}

@Test("checkpoint header: metadata and tensor shapes read back without a model; version 1 files still load")
func checkpointHeader() throws {
  let path = temporaryPath("header")
  defer { try? FileManager.default.removeItem(atPath: path) }
  let model = try smallModel(seed: 6)
  let metadata = ["architecture": "BatchNorm2D → Flatten → Dense(18→4)", "seed": "42", "ünïcode": "ok"]
  try Checkpoint.save(model, to: path, metadata: metadata)
  let header = try Checkpoint.header(at: path)
  #expect(header.metadata == metadata)
  #expect(header.tensors == (model.parameters + model.buffers).map { .init(name: $0.name, shape: $0.value.shape) })

  // The same file in format version 1: no metadata block (version 1, then the entry count).
  try Checkpoint.save(model, to: path)
  var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
  #expect(Array(bytes[8..<16]) == [2, 0, 0, 0, 0, 0, 0, 0])  // version 2, zero metadata entries
  bytes.removeSubrange(12..<16)
  bytes[8] = 1
  bytes.removeLast(4)
  Checkpoint.append(Checkpoint.checksum(bytes[...]), to: &bytes)
  _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
  #expect(try Checkpoint.header(at: path).metadata.isEmpty)
  let reloaded = try smallModel(seed: 7)
  try Checkpoint.load(into: reloaded, from: path)
  #expect(snapshot(reloaded) == snapshot(model))

  // A corrupt metadata length is refused with one line.
  try Checkpoint.save(model, to: path, metadata: ["k": "v"])
  var corrupt = [UInt8](FileManager.default.contents(atPath: path)!)
  corrupt[16] = 0xFF  // key length 255: runs past the file's metadata
  _ = FileManager.default.createFile(atPath: path, contents: Data(corrupt))
  #expect(throws: CNNError.self) { try Checkpoint.header(at: path) }
}
