// PNG decoding with libpng, shaped to the modes and values of Pillow 9.4's PngImagePlugin (which
// has its own PNG reader; both are lossless, so only the mode mapping and bit-depth reduction need
// to agree).
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "clipscope/image/decode.h"
#include "decoders.h"

namespace clipscope::image::detail {

namespace {

struct PngSource {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
  bool truncated = false;
  char message[256] = {};
};

void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (source->bytes.size() - source->offset < length) {
    source->truncated = true;
    png_error(png, "unexpected end of data");
  }
  std::memcpy(out, source->bytes.data() + source->offset, length);
  source->offset += length;
}

// libpng errors jump back to decode_png's setjmp; the message is copied into a fixed buffer so no
// C++ object is alive in the frames the jump skips.
[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* source = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(source->message, sizeof source->message, "%s",
                message ? message : "unknown libpng error");
  png_longjmp(png, 1);
}

// Warnings (bad ancillary CRCs, invalid iCCP profiles, ...) do not stop Pillow either.
void on_png_warning(png_structp, png_const_charp) {}

// Everything the libpng run fills in, declared by the caller so that the longjmp skips no
// destructor.
struct PngOutput {
  Image image;
  std::vector<uint8_t> raw16;  // big-endian samples of a 16-bit gray image
  std::vector<png_bytep> rows;
  DecodeFailure failure = DecodeFailure::kNone;
  std::string message;
};

struct ReadStructGuard {
  png_structp* png;
  png_infop* info;
  ~ReadStructGuard() { png_destroy_read_struct(png, info, nullptr); }
};

// Returns false on a libpng error (the message is in source.message).
bool run_libpng(PngSource& source, PngOutput& output) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(source.message, sizeof source.message, "libpng could not allocate its state");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  ReadStructGuard guard{&png, info != nullptr ? &info : nullptr};
  if (info == nullptr) {
    std::snprintf(source.message, sizeof source.message, "libpng could not allocate its state");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    return false;
  }

  png_set_read_fn(png, &source, read_from_memory);
  // Pillow has no per-dimension limit, only the pixel-count check below.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(png, info);

  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int bit_depth = 0;
  int color_type = 0;
  int interlace = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  if (static_cast<uint64_t>(width) * height > static_cast<uint64_t>(kMaxImagePixels)) {
    output.failure = DecodeFailure::kTooLarge;
    std::snprintf(source.message, sizeof source.message, "%ux%u", static_cast<unsigned>(width),
                  static_cast<unsigned>(height));
    return true;
  }

  // Palette and tRNS are read before png_read_update_info, which may drop tRNS from `info`.
  png_bytep alphas = nullptr;
  int alpha_count = 0;
  png_color_16p key = nullptr;
  const bool has_trns = png_get_tRNS(png, info, &alphas, &alpha_count, &key) != 0;
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    output.image.palette = default_palette();
    png_colorp colours = nullptr;
    int colour_count = 0;
    if (png_get_PLTE(png, info, &colours, &colour_count) != 0) {
      for (int i = 0; i < colour_count && i < 256; ++i) {
        output.image.palette[i * 4 + 0] = colours[i].red;
        output.image.palette[i * 4 + 1] = colours[i].green;
        output.image.palette[i * 4 + 2] = colours[i].blue;
      }
    }
    if (has_trns && alphas != nullptr) {
      for (int i = 0; i < alpha_count && i < 256; ++i) {
        output.image.palette[i * 4 + 3] = alphas[i];
      }
    }
  } else if (has_trns && key != nullptr) {
    // Pillow keeps the key in its raw sample values (e.g. 0..3 for 2-bit gray).
    if (color_type == PNG_COLOR_TYPE_GRAY) {
      output.image.transparency = std::array<int, 3>{key->gray, 0, 0};
    } else if (color_type == PNG_COLOR_TYPE_RGB) {
      output.image.transparency = std::array<int, 3>{key->red, key->green, key->blue};
    }
  }

  // Mode mapping of Pillow's PngImagePlugin._MODES.
  PixelMode mode = PixelMode::kRGB;
  bool sixteen_bit_gray = false;
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
      if (bit_depth == 16) {
        mode = PixelMode::kI;
        sixteen_bit_gray = true;
      } else {
        mode = bit_depth == 1 ? PixelMode::k1 : PixelMode::kL;
        if (bit_depth < 8) {
          // Scales 1/2/4-bit samples to 0..255 (x255, x85, x17), as Pillow's "1", "L;2", "L;4"
          // unpackers do. Without png_set_tRNS_to_alpha a tRNS colour key adds no alpha.
          png_set_expand_gray_1_2_4_to_8(png);
        }
      }
      break;
    case PNG_COLOR_TYPE_RGB:
      mode = PixelMode::kRGB;
      break;
    case PNG_COLOR_TYPE_PALETTE:
      mode = PixelMode::kP;
      if (bit_depth < 8) {
        png_set_packing(png);
      }
      break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      if (bit_depth == 16) {
        // Pillow reads 16-bit gray+alpha as RGBA ("LA;16B" -> RGBA).
        mode = PixelMode::kRGBA;
        png_set_gray_to_rgb(png);
      } else {
        mode = PixelMode::kLA;
      }
      break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
      mode = PixelMode::kRGBA;
      break;
    default:
      std::snprintf(source.message, sizeof source.message, "unknown PNG colour type %d",
                    color_type);
      return false;
  }
  // NOTE: Pillow keeps the high byte of each 16-bit sample ("RGB;16B" and friends); libpng's strip
  // does the same, whereas png_set_scale_16 would round and differ.
  if (bit_depth == 16 && !sixteen_bit_gray) {
    png_set_strip_16(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const size_t row_bytes = png_get_rowbytes(png, info);
  const size_t sample_bytes = sixteen_bit_gray ? 2 : static_cast<size_t>(bytes_per_pixel(mode));
  if (row_bytes != static_cast<size_t>(width) * sample_bytes) {
    std::snprintf(source.message, sizeof source.message,
                  "unexpected row size %zu for %u pixels of mode %s", row_bytes,
                  static_cast<unsigned>(width), mode_name(mode));
    return false;
  }

  output.image.width = static_cast<int>(width);
  output.image.height = static_cast<int>(height);
  output.image.mode = mode;
  std::vector<uint8_t>& target = sixteen_bit_gray ? output.raw16 : output.image.pixels;
  target.resize(row_bytes * height);
  output.rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) {
    output.rows[y] = target.data() + y * row_bytes;
  }

  // Like Pillow, stop after the image data: a damaged tail after the last IDAT is not an error.
  png_read_image(png, output.rows.data());
  return true;
}

}  // namespace

DecodeResult decode_png(std::span<const uint8_t> bytes) {
  // Refuse an absurd size from the IHDR chunk (always first) before libpng reads further.
  if (bytes.size() >= 24 && std::memcmp(bytes.data() + 12, "IHDR", 4) == 0) {
    auto be32 = [&](size_t at) {
      return (uint64_t{bytes[at]} << 24) | (uint64_t{bytes[at + 1]} << 16) |
             (uint64_t{bytes[at + 2]} << 8) | uint64_t{bytes[at + 3]};
    };
    const uint64_t width = be32(16);
    const uint64_t height = be32(20);
    if (width * height > static_cast<uint64_t>(kMaxImagePixels)) {
      return decode_failure(DecodeFailure::kTooLarge, fmt::format("{}x{}", width, height));
    }
  }

  PngSource source;
  source.bytes = bytes;
  PngOutput output;
  if (!run_libpng(source, output)) {
    return decode_failure(source.truncated ? DecodeFailure::kTruncated : DecodeFailure::kCorrupt,
                          source.message);
  }
  if (output.failure != DecodeFailure::kNone) {
    return decode_failure(output.failure, source.message);
  }

  DecodeResult result;
  result.image = std::move(output.image);
  if (result.image.mode == PixelMode::kI) {
    // Pillow's "I;16B" unpacker: big-endian samples widened to 32-bit signed integers.
    const size_t count = static_cast<size_t>(result.image.width) * result.image.height;
    result.image.pixels.resize(count * 4);
    for (size_t i = 0; i < count; ++i) {
      int32_t v = (static_cast<int32_t>(output.raw16[2 * i]) << 8) | output.raw16[2 * i + 1];
      std::memcpy(result.image.pixels.data() + 4 * i, &v, sizeof v);
    }
  }
  return result;
}

}  // namespace clipscope::image::detail
