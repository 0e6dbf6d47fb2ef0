// The in-memory image type shared by decoding, preprocessing, the scene renderer and PNG writing.
// Pixel layouts follow Pillow's modes so that conversions can mirror Pillow's exactly. Decoding is
// in image/decode.h, resizing in image/resample.h, mode conversion in image/convert.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace clipscope::image {

/// Pixel layout of an Image, named as in Pillow.
enum class PixelMode {
  kL,     ///< 8-bit gray, 1 byte per pixel.
  kLA,    ///< 8-bit gray + alpha, 2 bytes.
  kRGB,   ///< 8-bit RGB, 3 bytes.
  kRGBA,  ///< 8-bit RGB + straight (not premultiplied) alpha, 4 bytes.
  kP,     ///< 8-bit palette index, 1 byte; colours in Image::palette (RGBA entries).
  kI16,   ///< 16-bit unsigned gray (Pillow "I;16"), 2 bytes, native byte order.
  kCMYK,  ///< 8-bit CMYK, 4 bytes.
  kI,  ///< 32-bit signed gray (Pillow "I"), 4 bytes, native byte order. 16-bit gray PNGs decode to
       ///< it.
  k1,  ///< Bilevel (Pillow "1"), 1 byte per pixel holding 0 or 255. 1-bit gray PNGs decode to it.
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
  /// Colour key of a PNG tRNS chunk for 1, L, I (gray in [0]) or RGB images, in the file's raw
  /// sample values, as Pillow's info["transparency"]. Pixels are not changed by it; only convert()
  /// to LA or RGBA turns matching pixels transparent, as Pillow does.
  std::optional<std::array<int, 3>> transparency;

  /// Returns a black image of the given size and mode. A kP image gets Pillow's default palette
  /// (entry i is gray i, opaque).
  static Image blank(int width, int height, PixelMode mode);

  /// Returns the first byte of pixel (x, y).
  uint8_t* at(int x, int y) {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * bytes_per_pixel(mode);
  }
  const uint8_t* at(int x, int y) const {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * bytes_per_pixel(mode);
  }

  /// Returns the number of bytes in one row.
  size_t row_bytes() const { return static_cast<size_t>(width) * bytes_per_pixel(mode); }
};

/// Returns Pillow's default palette: 256 RGBA entries, entry i = (i, i, i, 255).
std::vector<uint8_t> default_palette();

/// Returns the rectangle [left, left + width) x [top, top + height) of `image`, which must lie
/// inside it. Keeps the mode and palette. Throws Error(kInvalidArgument) naming the rectangle and
/// the image size otherwise.
Image crop(const Image& image, int left, int top, int width, int height);

/// Throws Error(kInvalidArgument) if the image has a negative size, a pixel buffer of the wrong
/// length or (for kP) a palette that is not 1024 bytes. `what` names the image in the message.
void check_image(const Image& image, const char* what);

}  // namespace clipscope::image
