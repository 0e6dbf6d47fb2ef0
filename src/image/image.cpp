#include "clipscope/image/image.h"

namespace clipscope::image {

int bytes_per_pixel(PixelMode mode) {
  switch (mode) {
    case PixelMode::kL:
    case PixelMode::kP:
      return 1;
    case PixelMode::kLA:
    case PixelMode::kI16:
      return 2;
    case PixelMode::kRGB:
      return 3;
    case PixelMode::kRGBA:
    case PixelMode::kCMYK:
      return 4;
  }
  return 1;
}

const char* mode_name(PixelMode mode) {
  switch (mode) {
    case PixelMode::kL:
      return "L";
    case PixelMode::kLA:
      return "LA";
    case PixelMode::kRGB:
      return "RGB";
    case PixelMode::kRGBA:
      return "RGBA";
    case PixelMode::kP:
      return "P";
    case PixelMode::kI16:
      return "I;16";
    case PixelMode::kCMYK:
      return "CMYK";
  }
  return "?";
}

Image Image::blank(int width, int height, PixelMode mode) {
  Image image;
  image.width = width;
  image.height = height;
  image.mode = mode;
  image.pixels.assign(static_cast<size_t>(width) * height * bytes_per_pixel(mode), 0);
  return image;
}

}  // namespace clipscope::image
