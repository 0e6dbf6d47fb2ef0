// Class-token attention per object: the share of the image encoder's class-token attention over
// the patch grid that falls inside each object's mask. The attention itself comes from
// model::VisionTransformer::class_token_attention; this file only aggregates it.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace clipscope::experiments {

/// A binary object mask in the frame the model saw (after resizing and cropping).
struct ObjectMask {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  ///< height * width bytes, row-major, nonzero inside the object.
};

/// Returns, per mask, the share of the class token's patch attention that falls inside the mask.
/// `patch_attention` is float [grid * grid], the patch columns of class_token_attention (column 0,
/// the class token itself, excluded), row-major. It is renormalised to sum to 1. Patch (row, col)
/// covers the mask pixels whose (y * grid / height, x * grid / width) fall in it, and contributes
/// its attention times the fraction of its pixels inside the mask. With uniform attention and a
/// mask size divisible by grid, every object gets its area share (mask pixels / all pixels).
/// Throws Error(kInvalidArgument) naming the mask for a shape mismatch or an all-zero attention.
std::vector<double> attention_object_shares(const torch::Tensor& patch_attention, int64_t grid,
                                            const std::vector<ObjectMask>& masks);

}  // namespace clipscope::experiments
