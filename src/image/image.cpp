#include "clipscope/image/image.h"

#include <cstring>

#include "clipscope/error.h"

namespace clipscope::image {

int bytes_per_pixel(PixelMode mode) {
  switch (mode) {
    case PixelMode::kL:
    case PixelMode::kP:
    case PixelMode::k1:
      return 1;
    case PixelMode::kLA:
    case PixelMode::kI16:
      return 2;
    case PixelMode::kRGB:
      return 3;
    case PixelMode::kRGBA:
    case PixelMode::kCMYK:
    case PixelMode::kI:
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
    case PixelMode::kI:
      return "I";
    case PixelMode::k1:
      return "1";
  }
  return "?";
}

std::vector<uint8_t> default_palette() {
  std::vector<uint8_t> palette(1024);
  for (int i = 0; i < 256; ++i) {
    palette[i * 4 + 0] = palette[i * 4 + 1] = palette[i * 4 + 2] = static_cast<uint8_t>(i);
    palette[i * 4 + 3] = 255;
  }
  return palette;
}

Image Image::blank(int width, int height, PixelMode mode) {
  if (width < 0 || height < 0) {
    fail(ErrorKind::kInvalidArgument, "cannot make a {}x{} image; width and height must be >= 0",
         width, height);
  }
  Image image;
  image.width = width;
  image.height = height;
  image.mode = mode;
  image.pixels.assign(static_cast<size_t>(width) * height * bytes_per_pixel(mode), 0);
  if (mode == PixelMode::kP) {
    image.palette = default_palette();
  }
  return image;
}

void check_image(const Image& image, const char* what) {
  if (image.width < 0 || image.height < 0) {
    fail(ErrorKind::kInvalidArgument, "{} has a negative size {}x{}", what, image.width,
         image.height);
  }
  size_t expected = static_cast<size_t>(image.width) * image.height * bytes_per_pixel(image.mode);
  if (image.pixels.size() != expected) {
    fail(ErrorKind::kInvalidArgument,
         "{} ({}x{}, mode {}) holds {} pixel bytes but needs {}; fill Image::pixels to width * "
         "height * bytes_per_pixel(mode)",
         what, image.width, image.height, mode_name(image.mode), image.pixels.size(), expected);
  }
  if (image.mode == PixelMode::kP && image.palette.size() != 1024) {
    fail(ErrorKind::kInvalidArgument,
         "{} is a palette image with a {}-byte palette; Image::palette needs 256 RGBA entries "
         "(1024 bytes), e.g. default_palette()",
         what, image.palette.size());
  }
}

Image crop(const Image& image, int left, int top, int width, int height) {
  check_image(image, "the image to crop");
  if (left < 0 || top < 0 || width < 0 || height < 0 || left > image.width - width ||
      top > image.height - height) {
    fail(
        ErrorKind::kInvalidArgument,
        "crop rectangle {}x{} at ({}, {}) does not fit in the {}x{} image; pick a rectangle inside "
        "it",
        width, height, left, top, image.width, image.height);
  }
  Image out;
  out.width = width;
  out.height = height;
  out.mode = image.mode;
  out.palette = image.palette;
  out.transparency = image.transparency;
  size_t pixel = bytes_per_pixel(image.mode);
  size_t out_row = static_cast<size_t>(width) * pixel;
  out.pixels.resize(out_row * height);
  for (int y = 0; y < height; ++y) {
    if (out_row > 0) {
      std::memcpy(out.pixels.data() + y * out_row, image.at(left, top + y), out_row);
    }
  }
  return out;
}

}  // namespace clipscope::image
