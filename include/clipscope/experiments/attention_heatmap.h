// Heat-map overlays of class-token attention for the report: the model's input crop blended with a
// colour map of the patch attention, and an outline around one object. attention_roles.h computes
// the attention.
#pragma once

#include <array>
#include <cstdint>

#include <torch/types.h>

#include "clipscope/experiments/attention_share.h"
#include "clipscope/image/image.h"

namespace clipscope::experiments {

/// Returns the colour of `level` in [0, 1] (clamped) on a dark-blue, magenta, orange, yellow scale.
std::array<uint8_t, 3> heat_color(double level);

/// Returns an RGB image of the crop's size that blends 45% crop with 55% heat colour per pixel. The
/// colour shows the pixel's patch attention divided by the maximum patch attention. Pixels are white
/// where `outline` (optional, of the crop's size) has an inside pixel next to an outside one.
/// `crop` is RGB, `patch_attention` float [grid * grid] row-major. Throws Error(kInvalidArgument)
/// for a crop that is not RGB, an attention of the wrong length or an outline of another size.
image::Image attention_overlay(const image::Image& crop, const torch::Tensor& patch_attention, int64_t grid,
                               const ObjectMask* outline);

}  // namespace clipscope::experiments
