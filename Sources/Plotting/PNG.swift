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

  /// Reads a PNG file as grey (channels 1) if it has no colour, else as RGB (channels 3).
  /// Alpha is composited onto white; 16-bit and palette images are converted to 8-bit.
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
    guard width * height <= 1 << 28 else {
      png_image_free(&png)
      throw CNNError("cannot read \(path): \(width)x\(height) is too large for a figure")
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
