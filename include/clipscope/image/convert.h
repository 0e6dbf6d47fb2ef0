// Pixel-mode conversion with the results of Pillow 9.4's Image.convert(mode) (no dithering, no
// matrix). Decoding is in image/decode.h, resizing in image/resample.h.
#pragma once

#include "clipscope/image/image.h"

namespace clipscope::image {

/// Returns `image` converted to mode `to`, byte for byte as Pillow's `image.convert(to)`:
/// gray is ITU-R 601-2 luma in fixed point (L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16),
/// alpha is dropped without compositing, CMYK -> RGB is R = 255 - K - C (255 - K) / 255 rounded,
/// "I" and "I;16" clip to 0..255, palette images look up Image::palette (its alpha gives LA/RGBA
/// alpha). Conversion to the same mode returns a copy.
///
/// Supported targets: L, LA, RGB, RGBA and I from every mode; I;16 from I and L; CMYK from every
/// mode but I and I;16. Throws Error(kUnsupported) naming both modes for any other pair (to P or 1,
/// which Pillow does by quantising or dithering), and Error(kInvalidArgument) for a malformed image
/// (see check_image).
Image convert(const Image& image, PixelMode to);

}  // namespace clipscope::image
