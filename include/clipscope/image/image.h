// The in-memory image type shared by decoding, preprocessing, the scene renderer and PNG writing.
// Pixel layouts follow Pillow's modes so that conversions can mirror Pillow's exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipscope::image {

/// Pixel layout of an Image, named as in Pillow.
enum class PixelMode {
  kL,      ///< 8-bit gray, 1 byte per pixel.
  kLA,     ///< 8-bit gray + alpha, 2 bytes.
  kRGB,    ///< 8-bit RGB, 3 bytes.
  kRGBA,   ///< 8-bit RGB + straight (not premultiplied) alpha, 4 bytes.
  kP,      ///< 8-bit palette index, 1 byte; colours in Image::palette (RGBA entries).
  kI16,    ///< 16-bit unsigned gray (Pillow "I;16"), 2 bytes, native byte order.
  kCMYK,   ///< 8-bit CMYK, 4 bytes.
};

/// Returns bytes per pixel for a mode.
int bytes_per_pixel(PixelMode mode);

/// Returns Pillow's name of a mode ("L", "RGBA", "I;16", ...).
const char* mode_name(PixelMode mode);

/// A decoded image: rows top to bottom, pixels interleaved, no row padding.
struct Image {
  int width = 0;
  int height = 0;
  PixelMode mode = PixelMode::kRGB;
  std::vector<uint8_t> pixels;   ///< width * height * bytes_per_pixel(mode) bytes.
  std::vector<uint8_t> palette;  ///< For kP: 256 RGBA entries (1024 bytes); empty otherwise.

  /// Returns a black image of the given size and mode.
  static Image blank(int width, int height, PixelMode mode);

  /// Returns the first byte of pixel (x, y).
  uint8_t* at(int x, int y) { return pixels.data() + (static_cast<size_t>(y) * width + x) * bytes_per_pixel(mode); }
  const uint8_t* at(int x, int y) const {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * bytes_per_pixel(mode);
  }
};

}  // namespace clipscope::image
