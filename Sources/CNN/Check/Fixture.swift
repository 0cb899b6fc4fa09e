// Loads the PyTorch reference fixtures written by Tests/CNNTests/Fixtures/make_fixtures.py:
// versioned JSON files whose tensors are NCHW / OIHW, float32 printed so that they read back exactly.
// In the library, not the test-support target, because the tests and the lessons (chapters 2 and 4)
// both compare against them.

import Foundation

/// One PyTorch fixture file, or an object nested inside one (`fixture.children("steps")[0]`).
///
/// Values are looked up by key; every failed lookup throws a `CNNError` naming the file and the key
/// path, so a test fails with one readable line instead of a crash.
public struct Fixture: Sendable {
  /// The fixture format this loader reads; `make_fixtures.py` writes the same number.
  public static let format = 1

  /// `"conv2d_s2_p1"` for the top level, `"batchnorm2d.steps[1]"` for a nested object.
  public let path: String
  private let object: [String: JSONValue]

  private init(path: String, object: [String: JSONValue]) {
    self.path = path
    self.object = object
  }

  /// Reads `<folder>/<name>.json` and checks its `"format"`.
  ///
  /// The test target passes its resource folder, because `Bundle.module` belongs to the test target:
  /// `Bundle.module.url(forResource: "Fixtures", withExtension: nil)`.
  public static func load(_ name: String, in folder: URL) throws -> Fixture {
    let url = folder.appendingPathComponent(name + ".json")
    guard let data = try? Data(contentsOf: url) else {
      throw CNNError("fixture \(name): cannot read \(url.path)")
    }
    let root: JSONValue
    do {
      root = try JSONDecoder().decode(JSONValue.self, from: data)
    } catch {
      throw CNNError("fixture \(name): not valid JSON (\(error))")
    }
    guard case .object(let object) = root else {
      throw CNNError("fixture \(name): the top level is not a JSON object")
    }
    let fixture = Fixture(path: name, object: object)
    let found = (try? fixture.int("format")).map(String.init) ?? "missing"
    guard found == String(format) else {
      throw CNNError(
        "fixture \(name): fixture format \(format) expected (found \(found)); "
          + "regenerate with Tests/CNNTests/Fixtures/make_fixtures.py")
    }
    return fixture
  }

  // MARK: - Lookups

  /// The keys present at this level, in no particular order.
  public var keys: [String] { Array(object.keys) }

  /// Whether `key` is present (for optional entries such as a convolution's bias).
  public func contains(_ key: String) -> Bool { object[key] != nil }

  /// A nested object.
  public func child(_ key: String) throws -> Fixture {
    guard case .object(let nested) = try value(key) else { throw mismatch(key, "an object") }
    return Fixture(path: "\(path).\(key)", object: nested)
  }

  /// An array of nested objects.
  public func children(_ key: String) throws -> [Fixture] {
    guard case .array(let items) = try value(key) else { throw mismatch(key, "an array of objects") }
    return try items.enumerated().map { index, item in
      guard case .object(let nested) = item else { throw mismatch("\(key)[\(index)]", "an object") }
      return Fixture(path: "\(path).\(key)[\(index)]", object: nested)
    }
  }

  public func double(_ key: String) throws -> Double {
    guard case .number(let number) = try value(key) else { throw mismatch(key, "a number") }
    return number
  }

  /// A float32 value; the generator prints floats so that this conversion is exact.
  public func float(_ key: String) throws -> Float { Float(try double(key)) }

  public func int(_ key: String) throws -> Int {
    let number = try double(key)
    guard let integer = Int(exactly: number) else { throw mismatch(key, "an integer") }
    return integer
  }

  public func string(_ key: String) throws -> String {
    guard case .string(let text) = try value(key) else { throw mismatch(key, "a string") }
    return text
  }

  public func bool(_ key: String) throws -> Bool {
    guard case .bool(let flag) = try value(key) else { throw mismatch(key, "true or false") }
    return flag
  }

  public func floats(_ key: String) throws -> [Float] { try numbers(key).map { Float($0) } }

  public func ints(_ key: String) throws -> [Int] {
    try numbers(key).map { number in
      guard let integer = Int(exactly: number) else { throw mismatch(key, "an array of integers") }
      return integer
    }
  }

  /// A whole tensor: `{"shape": [...], "values": [...]}`, or exact integers times a power of two,
  /// `{"shape": [...], "scale": s, "integers": [...]}`.
  public func tensor(_ key: String) throws -> Tensor { try child(key).asTensor() }

  /// An array of whole tensors (for example the weights after each optimizer step).
  public func tensors(_ key: String) throws -> [Tensor] { try children(key).map { try $0.asTensor() } }

  /// This object read as a tensor.
  public func asTensor() throws -> Tensor {
    let shape = try ints("shape")
    let scalars: [Float]
    if contains("integers") {
      let scale = try float("scale")
      scalars = try ints("integers").map { Float($0) * scale }  // exact: scale is 2^-k
    } else {
      guard !contains("stride") else {
        throw CNNError("fixture \(path) holds a sample, read it with sampledTensor(_:)")
      }
      scalars = try floats("values")
    }
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == scalars.count else {
      throw CNNError("fixture \(path) has shape \(shape) but \(scalars.count) values")
    }
    return Tensor(shape: shape, scalars: scalars)
  }

  /// Every `stride`-th element (flat index 0, stride, 2·stride, …) of a tensor too big to store
  /// whole: `{"shape": [...], "stride": s, "values": [...]}`.
  public func sampledTensor(_ key: String) throws -> SampledTensor {
    let entry = try child(key)
    let shape = try entry.ints("shape")
    let stride = entry.contains("stride") ? try entry.int("stride") : 1
    let values = try entry.floats("values")
    let count = shape.reduce(1, *)
    guard stride >= 1, values.count == (count + stride - 1) / stride else {
      throw CNNError("fixture \(path): \(key) has \(values.count) samples, not one per \(stride) of \(count)")
    }
    return SampledTensor(shape: shape, stride: stride, values: values)
  }

  // MARK: - Private

  private func value(_ key: String) throws -> JSONValue {
    guard let value = object[key] else { throw CNNError("fixture \(path): no entry \"\(key)\"") }
    return value
  }

  private func numbers(_ key: String) throws -> [Double] {
    guard case .array(let items) = try value(key) else { throw mismatch(key, "an array of numbers") }
    return try items.map { item in
      guard case .number(let number) = item else { throw mismatch(key, "an array of numbers") }
      return number
    }
  }

  private func mismatch(_ key: String, _ expected: String) -> CNNError {
    CNNError("fixture \(path): \"\(key)\" is not \(expected)")
  }
}

/// A strided sample of a tensor: `values[i]` is element `i · stride` of the flat tensor.
public struct SampledTensor: Sendable {
  public let shape: [Int]
  public let stride: Int
  public let values: [Float]

  /// The same flat indices picked out of a full tensor, as a 1-D tensor to compare with `expectClose`.
  public func sample(of tensor: Tensor) -> Tensor {
    guard tensor.shape == shape else {
      fatalError("sample of shape \(shape) taken from a tensor of shape \(tensor.shape)")
    }
    let picked = Swift.stride(from: 0, to: tensor.count, by: stride).map { tensor.scalars[$0] }
    return Tensor(shape: [picked.count], scalars: picked)
  }

  /// The stored values as a 1-D tensor.
  public var tensor: Tensor { Tensor(shape: [values.count], scalars: values) }
}

/// A parsed JSON document (numbers as Double: a float32 printed with ≤ 9 digits survives it exactly).
enum JSONValue: Decodable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let number = try? container.decode(Double.self) {  // first: fixtures are mostly numbers
      self = .number(number)
    } else if let flag = try? container.decode(Bool.self) {
      self = .bool(flag)
    } else if let text = try? container.decode(String.self) {
      self = .string(text)
    } else if let items = try? container.decode([JSONValue].self) {
      self = .array(items)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }
}
