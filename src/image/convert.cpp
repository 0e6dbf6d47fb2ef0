#include "clipscope/image/convert.h"

#include <cstring>
#include <optional>

#include "clipscope/error.h"
#include "pixel_ops.h"

namespace clipscope::image {

namespace {

// ITU-R 601-2 luma in Pillow's 16.16 fixed point (its L24 macro).
inline uint8_t luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

inline int32_t read_i32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void write_i32(uint8_t* p, int32_t v) {
  std::memcpy(p, &v, sizeof v);
}

inline uint16_t read_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint8_t clip_i32_to_8(int32_t v) {
  return v <= 0 ? 0 : v >= 255 ? 255 : static_cast<uint8_t>(v);
}

inline uint8_t bit_value(uint8_t v) {
  return v != 0 ? 255 : 0;
}

// Applies `convert_pixel(const uint8_t* in, uint8_t* out)` to every pixel.
template <typename PixelFunction>
Image map_pixels(const Image& image, PixelMode to, PixelFunction convert_pixel) {
  Image out = Image::blank(image.width, image.height, to);
  const size_t count = static_cast<size_t>(image.width) * image.height;
  const int in_step = bytes_per_pixel(image.mode);
  const int out_step = bytes_per_pixel(to);
  const uint8_t* in = image.pixels.data();
  uint8_t* dst = out.pixels.data();
  for (size_t i = 0; i < count; ++i, in += in_step, dst += out_step) {
    convert_pixel(in, dst);
  }
  return out;
}

// The direct conversions from a colour pixel: RGB or RGBA pixels, or a P pixel's RGBA palette
// entry. `colour_of(in)` returns the RGB(A) bytes of input pixel `in`; without `has_alpha` the
// alpha is taken as 255. Returns nullopt for a mode Pillow cannot reach directly.
template <typename ColourOf>
std::optional<Image> convert_colour(const Image& image, PixelMode to, bool has_alpha,
                                    ColourOf colour_of) {
  using M = PixelMode;
  switch (to) {
    case M::kL:
      return map_pixels(image, to, [colour_of](const uint8_t* in, uint8_t* out) {
        out[0] = luma(colour_of(in));
      });
    case M::kLA:
      return map_pixels(image, to, [colour_of, has_alpha](const uint8_t* in, uint8_t* out) {
        const uint8_t* colour = colour_of(in);
        out[0] = luma(colour);
        out[1] = has_alpha ? colour[3] : 255;
      });
    case M::kRGB:
      return map_pixels(image, to, [colour_of](const uint8_t* in, uint8_t* out) {
        std::memcpy(out, colour_of(in), 3);
      });
    case M::kRGBA:
      return map_pixels(image, to, [colour_of, has_alpha](const uint8_t* in, uint8_t* out) {
        const uint8_t* colour = colour_of(in);
        std::memcpy(out, colour, 3);
        out[3] = has_alpha ? colour[3] : 255;
      });
    case M::kI:
      return map_pixels(image, to, [colour_of](const uint8_t* in, uint8_t* out) {
        write_i32(out, luma(colour_of(in)));
      });
    case M::kCMYK:
      return map_pixels(image, to, [colour_of](const uint8_t* in, uint8_t* out) {
        const uint8_t* colour = colour_of(in);
        out[0] = static_cast<uint8_t>(~colour[0]);
        out[1] = static_cast<uint8_t>(~colour[1]);
        out[2] = static_cast<uint8_t>(~colour[2]);
        out[3] = 0;
      });
    default:
      return std::nullopt;
  }
}

// The direct conversions from L, or LA when `has_alpha`, to RGB, RGBA and CMYK. Without
// `has_alpha` the alpha is 255.
Image convert_gray_to_colour(const Image& image, PixelMode to, bool has_alpha) {
  if (to == PixelMode::kCMYK) {
    return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) {
      out[0] = out[1] = out[2] = 0;
      out[3] = static_cast<uint8_t>(~in[0]);
    });
  }
  return map_pixels(image, to, [to, has_alpha](const uint8_t* in, uint8_t* out) {
    out[0] = out[1] = out[2] = in[0];
    if (to == PixelMode::kRGBA) out[3] = has_alpha ? in[1] : 255;
  });
}

// Pillow's base mode, through which it converts when there is no direct conversion.
PixelMode base_mode(PixelMode mode) {
  switch (mode) {
    case PixelMode::k1:
    case PixelMode::kL:
    case PixelMode::kLA:
    case PixelMode::kI:
    case PixelMode::kI16:
      return PixelMode::kL;
    default:
      return PixelMode::kRGB;
  }
}

// The conversions Pillow's Convert.c has a direct function for; nullopt when it has none.
std::optional<Image> convert_direct(const Image& image, PixelMode to) {
  const PixelMode from = image.mode;
  const uint8_t* palette = image.palette.data();
  using M = PixelMode;

  switch (from) {
    case M::k1:
      switch (to) {
        case M::kL:
          return map_pixels(image, to,
                            [](const uint8_t* in, uint8_t* out) { out[0] = bit_value(in[0]); });
        case M::kRGB:
        case M::kRGBA:
          return map_pixels(image, to, [to](const uint8_t* in, uint8_t* out) {
            out[0] = out[1] = out[2] = bit_value(in[0]);
            if (to == M::kRGBA) out[3] = 255;
          });
        case M::kI:
          return map_pixels(
              image, to, [](const uint8_t* in, uint8_t* out) { write_i32(out, bit_value(in[0])); });
        case M::kCMYK:
          return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) {
            out[0] = out[1] = out[2] = 0;
            out[3] = in[0] != 0 ? 0 : 255;
          });
        default:
          return std::nullopt;
      }

    case M::kL:
      switch (to) {
        case M::kLA:
          return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) {
            out[0] = in[0];
            out[1] = 255;
          });
        case M::kRGB:
        case M::kRGBA:
        case M::kCMYK:
          return convert_gray_to_colour(image, to, /*has_alpha=*/false);
        case M::kI:
          return map_pixels(image, to,
                            [](const uint8_t* in, uint8_t* out) { write_i32(out, in[0]); });
        case M::kI16:
          return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) {
            uint16_t v = in[0];
            std::memcpy(out, &v, sizeof v);
          });
        default:
          return std::nullopt;
      }

    case M::kLA:
      switch (to) {
        case M::kL:
          return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) { out[0] = in[0]; });
        case M::kRGB:
        case M::kRGBA:
        case M::kCMYK:
          return convert_gray_to_colour(image, to, /*has_alpha=*/true);
        default:
          return std::nullopt;
      }

    case M::kRGB:
      return convert_colour(image, to, /*has_alpha=*/false, [](const uint8_t* in) { return in; });
    case M::kRGBA:
      return convert_colour(image, to, /*has_alpha=*/true, [](const uint8_t* in) { return in; });
    case M::kP:
      return convert_colour(image, to, /*has_alpha=*/true,
                            [palette](const uint8_t* in) { return palette + in[0] * 4; });

    case M::kI:
      switch (to) {
        case M::kL:
          return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) {
            out[0] = clip_i32_to_8(read_i32(in));
          });
        case M::kRGB:
        case M::kRGBA:
          return map_pixels(image, to, [to](const uint8_t* in, uint8_t* out) {
            out[0] = out[1] = out[2] = clip_i32_to_8(read_i32(in));
            if (to == M::kRGBA) out[3] = 255;
          });
        case M::kI16:
          return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) {
            int32_t v = read_i32(in);
            uint16_t clipped = static_cast<uint16_t>(v <= 0 ? 0 : v >= 65535 ? 65535 : v);
            std::memcpy(out, &clipped, sizeof clipped);
          });
        default:
          return std::nullopt;
      }

    case M::kI16:
      switch (to) {
        case M::kI:
          return map_pixels(image, to,
                            [](const uint8_t* in, uint8_t* out) { write_i32(out, read_u16(in)); });
        case M::kL:
          return map_pixels(image, to, [](const uint8_t* in, uint8_t* out) {
            uint16_t v = read_u16(in);
            out[0] = v > 255 ? 255 : static_cast<uint8_t>(v);
          });
        default:
          return std::nullopt;
      }

    case M::kCMYK:
      switch (to) {
        case M::kRGB:
        case M::kRGBA:
          return map_pixels(image, to, [to](const uint8_t* in, uint8_t* out) {
            uint32_t nk = 255 - in[3];
            for (int c = 0; c < 3; ++c) {
              out[c] = static_cast<uint8_t>(nk - detail::mul_div_255(in[c], nk));
            }
            if (to == M::kRGBA) out[3] = 255;
          });
        default:
          return std::nullopt;
      }
  }
  return std::nullopt;
}

// Like Pillow, goes through the base mode (L for gray modes, RGB for colour ones) when there is no
// direct conversion.
std::optional<Image> convert_direct_or_via_base(const Image& image, PixelMode to) {
  if (auto direct = convert_direct(image, to)) {
    return direct;
  }
  PixelMode base = base_mode(image.mode);
  if (base != image.mode && base != to) {
    if (auto via_base = convert_direct(image, base)) {
      return convert_direct(*via_base, to);
    }
  }
  return std::nullopt;
}

// Pillow's convert_transparent: the conversion to LA or RGBA, then alpha 0 where the pixel equals
// the colour key (compared on the key's low bytes, as Pillow packs it).
Image convert_with_colour_key(const Image& image, PixelMode to, const std::array<int, 3>& key) {
  Image out = *convert_direct_or_via_base(image, to);
  const bool gray = image.mode != PixelMode::kRGB;
  const uint8_t r = static_cast<uint8_t>(key[0] & 0xff);
  const uint8_t g = gray ? r : static_cast<uint8_t>(key[1] & 0xff);
  const uint8_t b = gray ? r : static_cast<uint8_t>(key[2] & 0xff);
  const int step = bytes_per_pixel(to);
  for (size_t i = 0; i < out.pixels.size(); i += step) {
    uint8_t* p = out.pixels.data() + i;
    const bool match = to == PixelMode::kLA ? (p[0] == r && r == g && g == b)
                                            : (p[0] == r && p[1] == g && p[2] == b);
    if (match) {
      p[step - 1] = 0;
    }
  }
  out.transparency.reset();
  return out;
}

// Pillow's new transparency after an L <-> RGB conversion: the key converted like a pixel.
std::array<int, 3> converted_key(const std::array<int, 3>& key, PixelMode to) {
  if (to == PixelMode::kRGB) {
    return {key[0], key[0], key[0]};
  }
  const uint8_t rgb[3] = {static_cast<uint8_t>(key[0] & 0xff), static_cast<uint8_t>(key[1] & 0xff),
                          static_cast<uint8_t>(key[2] & 0xff)};
  return {luma(rgb), 0, 0};
}

}  // namespace

Image convert(const Image& image, PixelMode to) {
  check_image(image, "the image to convert");
  if (image.mode == to) {
    return image;
  }
  if (to == PixelMode::kP || to == PixelMode::k1) {
    fail(ErrorKind::kUnsupported,
         "converting a {} image to mode {} needs quantisation or dithering, which clipscope does "
         "not "
         "implement; convert to L, LA, RGB or RGBA instead",
         mode_name(image.mode), mode_name(to));
  }

  const PixelMode from = image.mode;
  if (image.transparency) {
    const bool gray_source =
        from == PixelMode::k1 || from == PixelMode::kL || from == PixelMode::kI;
    if ((gray_source && (to == PixelMode::kLA || to == PixelMode::kRGBA)) ||
        (from == PixelMode::kRGB && to == PixelMode::kRGBA)) {
      return convert_with_colour_key(image, to, *image.transparency);
    }
  }

  std::optional<Image> result = convert_direct_or_via_base(image, to);
  if (!result) {
    fail(ErrorKind::kUnsupported,
         "Pillow has no conversion from mode {} to mode {}; convert to L or RGB first",
         mode_name(from), mode_name(to));
  }
  // Like Pillow's info dictionary, the key follows the image; between L and RGB it is converted.
  result->transparency = image.transparency;
  if (image.transparency && (from == PixelMode::kL || from == PixelMode::kRGB) &&
      (to == PixelMode::kL || to == PixelMode::kRGB)) {
    result->transparency = converted_key(*image.transparency, to);
  }
  return std::move(*result);
}

namespace detail {
namespace {

// Calls `adjust(pixel, colours)` on every pixel of an RGBA or LA image, where `colours` is the
// index of the alpha byte. Images of other modes are left unchanged.
template <typename Adjust>
void for_each_alpha_pixel(Image& image, Adjust adjust) {
  if (image.mode != PixelMode::kRGBA && image.mode != PixelMode::kLA) {
    return;
  }
  const int step = bytes_per_pixel(image.mode);
  uint8_t* p = image.pixels.data();
  const size_t count = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < count; ++i, p += step) {
    adjust(p, step - 1);
  }
}

}  // namespace

void premultiply_alpha(Image& image) {
  for_each_alpha_pixel(image, [](uint8_t* p, int colours) {
    uint32_t alpha = p[colours];
    for (int c = 0; c < colours; ++c) {
      p[c] = static_cast<uint8_t>(mul_div_255(p[c], alpha));
    }
  });
}

void unpremultiply_alpha(Image& image) {
  for_each_alpha_pixel(image, [](uint8_t* p, int colours) {
    uint32_t alpha = p[colours];
    if (alpha == 0 || alpha == 255) {
      return;
    }
    for (int c = 0; c < colours; ++c) {
      uint32_t v = (255 * static_cast<uint32_t>(p[c])) / alpha;
      p[c] = static_cast<uint8_t>(v > 255 ? 255 : v);
    }
  });
}

}  // namespace detail

}  // namespace clipscope::image
