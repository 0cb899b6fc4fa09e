// 8-bit grey and RGB images and their PNG encoding, through libpng's *simplified* API.
// The classic libpng API reports errors with longjmp, which Swift cannot catch (a bad file would
// abort the process); the simplified API returns 0 and fills `message`, so errors become CNNErrors.

import CLibPNG
import Foundation
import CNN

/// A raster image, 8 bits per channel, rows top to bottom, channels interleaved (RGBRGB…).
public struct Image: Sendable, Equatable {
  public let width: Int
  public let height: Int
  /// 1 for grey, 3 for RGB.
  public let channels: Int
  /// `width · height · channels` bytes, row-major.
  public var pixels: [UInt8]
  /// Text pixels the drawing canvas clipped at its edges (0 for images read from files).
  public var clippedTextPixels = 0

  /// An image from existing pixels; the count must be `width · height · channels`.
  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    guard width >= 0 && height >= 0 && (channels == 1 || channels == 3) else {
      fatalError("Image needs a non-negative size and 1 or 3 channels, got \(width)x\(height)x\(channels)")
    }
    guard pixels.count == width * height * channels else {
      fatalError("Image \(width)x\(height)x\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
    }
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// An image filled with one grey level (channels 1) or one colour (channels 3).
  public init(width: Int, height: Int, channels: Int, fill: UInt8 = 255) {
    self.init(width: width, height: height, channels: channels,
              pixels: [UInt8](repeating: fill, count: width * height * channels))
  }

  /// The bytes of the pixel at column `x`, row `y` (1 or 3 values).
  public func pixel(x: Int, y: Int) -> ArraySlice<UInt8> {
    let start = (y * width + x) * channels
    return pixels[start..<start + channels]
  }
}

/// Writing and reading PNG files.
public enum PNG {
  /// Writes `image` to `path` as a PNG: first to a temporary file in the same folder, then
  /// renamed over `path`, so a reader never sees a half-written file.
  public static func write(_ image: Image, to path: String) throws {
    guard image.width > 0, image.height > 0 else {
      throw CNNError("cannot write \(path): image is empty (\(image.width)x\(image.height))")
    }
    try AtomicFile.write(to: path) { temporary in
      var png = png_image()
      png.version = UInt32(PNG_IMAGE_VERSION)
      png.width = UInt32(image.width)
      png.height = UInt32(image.height)
      png.format = image.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
      let ok = image.pixels.withUnsafeBytes { bytes in
        png_image_write_to_file(&png, temporary, 0, bytes.baseAddress, Int32(image.width * image.channels), nil)
      }
      guard ok != 0 else {
        let reason = message(of: png)
        png_image_free(&png)
        throw CNNError("cannot write \(path): \(reason)")
      }
    }
  }

  /// The largest width or height `read` accepts.
  public static let maximumSide = 16_384
  /// The most pixel bytes `read` allocates (width · height · channels): 128 MiB, e.g. 8192x5461 RGB.
  public static let maximumBytes = 128 << 20

  /// Reads a PNG file as grey (channels 1) if it has no colour, else as RGB (channels 3).
  /// Alpha is composited onto white; 16-bit and palette images are converted to 8-bit.
  ///
  /// Memory is bounded before anything is allocated: the size in the header must be at most
  /// `maximumSide` on each side and `maximumBytes` in all, and must fit in what the file could
  /// hold (see `checkPlausibleSize`). libpng's own defaults cap each ancillary chunk at 8 MB.
  public static func read(from path: String) throws -> Image {
    guard FileManager.default.fileExists(atPath: path) else {
      throw CNNError("cannot read \(path): file not found")
    }
    var png = png_image()
    png.version = UInt32(PNG_IMAGE_VERSION)
    guard png_image_begin_read_from_file(&png, path) != 0 else {
      let reason = message(of: png)
      png_image_free(&png)
      throw CNNError("cannot read \(path): not a valid PNG (\(reason))")
    }
    let channels = png.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1
    let (width, height) = (Int(png.width), Int(png.height))
    guard width <= maximumSide, height <= maximumSide, width * height * channels <= maximumBytes else {
      png_image_free(&png)
      throw CNNError(
        "cannot read \(path): \(width)x\(height) pixels is too large (at most \(maximumSide) a side "
          + "and \(maximumBytes >> 20) MiB of pixels)")
    }
    do {
      try checkPlausibleSize(path: path, width: width, height: height)
    } catch {
      png_image_free(&png)
      throw error
    }
    png.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    var white = png_color(red: 255, green: 255, blue: 255)
    let ok = pixels.withUnsafeMutableBytes { bytes in
      png_image_finish_read(&png, &white, bytes.baseAddress, Int32(width * channels), nil)
    }
    guard ok != 0 else {
      let reason = message(of: png)
      png_image_free(&png)
      throw CNNError("cannot read \(path): corrupt PNG data (\(reason))")
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// Refuses a header whose image cannot fit in the file: the pixel rows of a PNG are deflated,
  /// and deflate expands at most 1032:1, so a file of B bytes holds at most about 1032·B bytes of
  /// rows (height · (1 + width · bits per pixel / 8), the 1 being each row's filter byte).
  /// A 25 KB file claiming 1,000,000x268 RGB is refused here instead of allocating 804 MB.
  static func checkPlausibleSize(path: String, width: Int, height: Int) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw CNNError("cannot read \(path): permission denied")
    }
    let head = [UInt8](handle.readData(ofLength: 33))
    let fileSize = (try? handle.seekToEnd()).map(Int.init) ?? 0
    try? handle.close()
    // Signature (8), IHDR length and type (8), width, height (4 + 4), bit depth, colour type.
    guard head.count == 33 else { throw CNNError("cannot read \(path): not a valid PNG (no IHDR)") }
    let depth = Int(head[24])
    let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(head[25])] ?? 4
    let rowBytes = 1 + (width * samples * depth + 7) / 8
    guard height * rowBytes <= 1032 * fileSize + (1 << 16) else {
      throw CNNError(
        "cannot read \(path): its header claims \(width)x\(height) pixels, more than a "
          + "\(fileSize)-byte PNG can hold (damaged or malicious file)")
    }
  }

  /// libpng's error text, a fixed-size C char array inside `png_image`.
  private static func message(of png: png_image) -> String {
    var copy = png.message
    return withUnsafeBytes(of: &copy) { raw in
      let bytes = raw.prefix { $0 != 0 }
      let text = String(decoding: bytes, as: UTF8.self)
      return text.isEmpty ? "libpng error" : text
    }
  }
}
