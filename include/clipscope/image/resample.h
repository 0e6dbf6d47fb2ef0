// Resizing with the results of Pillow 9.4's Image.resize(size, filter) (no box, no reducing_gap):
// separable antialiased convolution in 22-bit fixed point for 8-bit modes, double precision for
// "I", and Pillow's nearest-neighbour scaling. Mode conversion is in image/convert.h.
#pragma once

#include <string_view>

#include "clipscope/image/image.h"

namespace clipscope::image {

/// Resampling filter, as Pillow's Image.Resampling.
enum class Filter {
  kNearest,   ///< Pillow NEAREST (0).
  kBox,       ///< Pillow BOX (4).
  kBilinear,  ///< Pillow BILINEAR (2): triangle filter, support 1.
  kHamming,   ///< Pillow HAMMING (5).
  kBicubic,   ///< Pillow BICUBIC (3): cubic convolution with a = -0.5, support 2.
  kLanczos,   ///< Pillow LANCZOS (1): Lanczos-3.
};

/// Returns the filter for a name: "nearest", "box", "bilinear", "hamming", "bicubic" or "lanczos"
/// (case-sensitive, as torchvision's InterpolationMode values). Throws Error(kInvalidArgument)
/// listing the valid names otherwise.
Filter parse_filter(std::string_view name);

/// Returns Pillow's lowercase name of a filter ("bicubic", ...).
const char* filter_name(Filter filter);

/// Returns `image` resized to width x height (both >= 1), byte for byte as Pillow's
/// `image.resize((width, height), filter)`:
/// - the same size returns a copy;
/// - P and 1 images always use nearest (as Pillow forces);
/// - LA and RGBA images are premultiplied by alpha, resized, and unpremultiplied (all filters but
///   nearest);
/// - the other filters resize horizontally, then vertically (a pass is skipped when its size does
///   not change), each pass rounding to 8 bits; "I" images accumulate in double and round to
///   integers at the end of each pass.
/// Throws Error(kInvalidArgument) for a size below 1 or a malformed image, and Error(kUnsupported)
/// for an I;16 image with a filter other than nearest (Pillow refuses those too; convert to I
/// first).
Image resize(const Image& image, int width, int height, Filter filter);

}  // namespace clipscope::image
