// Private helpers shared by convert.cpp and resample.cpp: Pillow's alpha premultiplication, which
// Image.resize applies around every filter but nearest for LA and RGBA images.
#pragma once

#include <cstdint>

#include "clipscope/image/image.h"

namespace clipscope::image::detail {

/// Pillow's MULDIV255: a * b / 255 rounded, for a, b in 0..255.
inline uint32_t mul_div_255(uint32_t a, uint32_t b) {
  uint32_t t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/// Premultiplies the colour channels of an LA or RGBA image by alpha in place (Pillow's "RGBA" ->
/// "RGBa" and "LA" -> "La"). The mode tag is unchanged.
void premultiply_alpha(Image& image);

/// Undoes premultiply_alpha in place (Pillow's "RGBa" -> "RGBA" and "La" -> "LA"): colour =
/// min(255, 255 * colour / alpha) in integers, unchanged where alpha is 0 or 255.
void unpremultiply_alpha(Image& image);

}  // namespace clipscope::image::detail
