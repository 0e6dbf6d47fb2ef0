#include "clipscope/image/png_writer.h"

#include <png.h>

#include <csetjmp>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::image {

namespace {

void append_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* output = static_cast<std::string*>(png_get_io_ptr(png));
  output->append(reinterpret_cast<const char*>(data), length);
}

void flush_nothing(png_structp) {}

// libpng reports errors by longjmp; the message is kept so the caller can throw it afterwards.
void store_error(png_structp png, png_const_charp message) {
  auto* text = static_cast<std::string*>(png_get_error_ptr(png));
  *text = message;
  png_longjmp(png, 1);
}

void ignore_warning(png_structp, png_const_charp) {}

int png_color_type(PixelMode mode) {
  switch (mode) {
    case PixelMode::kL:
      return PNG_COLOR_TYPE_GRAY;
    case PixelMode::kLA:
      return PNG_COLOR_TYPE_GRAY_ALPHA;
    case PixelMode::kRGB:
      return PNG_COLOR_TYPE_RGB;
    case PixelMode::kRGBA:
      return PNG_COLOR_TYPE_RGBA;
    default:
      fail(ErrorKind::kUnsupported,
           "cannot write a PNG from pixel mode '{}'; convert the image to L, LA, RGB or RGBA first",
           mode_name(mode));
  }
}

}  // namespace

std::string encode_png(const Image& image) {
  int color_type = png_color_type(image.mode);
  if (image.width <= 0 || image.height <= 0) {
    fail(ErrorKind::kInvalidArgument, "cannot write an empty {}x{} image as PNG", image.width,
         image.height);
  }
  size_t row_bytes = static_cast<size_t>(image.width) * bytes_per_pixel(image.mode);
  if (image.pixels.size() != row_bytes * image.height) {
    fail(ErrorKind::kInvalidArgument,
         "image buffer holds {} bytes but a {}x{} {} image needs {}; fill Image::pixels fully",
         image.pixels.size(), image.width, image.height, mode_name(image.mode),
         row_bytes * image.height);
  }

  std::string output;
  std::string error_message;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &error_message, store_error, ignore_warning);
  if (png == nullptr) {
    fail(ErrorKind::kIo, "libpng could not allocate a PNG writer (out of memory)");
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fail(ErrorKind::kIo, "PNG encoding failed: {}", error_message);
  }

  png_set_write_fn(png, &output, append_bytes, flush_nothing);
  png_set_compression_level(png, 6);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y) {
    png_write_row(png, const_cast<png_bytep>(image.pixels.data() + row_bytes * y));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return output;
}

void write_png(const std::filesystem::path& path, const Image& image) {
  std::string bytes = encode_png(image);
  io::write_file_atomic(path, bytes);
}

}  // namespace clipscope::image
