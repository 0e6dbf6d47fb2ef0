// CLIP image preprocessing: open_clip 2.30's default inference transform and Hugging Face
// transformers 4.36's CLIPImageProcessor, reproduced byte for byte up to the uint8 crop, then
// normalised into the model's input tensor. Decoding is in image/decode.h.
#pragma once

#include <torch/types.h>

#include <array>
#include <string>
#include <vector>

#include "clipscope/image/image.h"

namespace clipscope::image {

/// Whose preprocessing to reproduce.
enum class PreprocessStyle {
  /// open_clip `image_transform(is_train=False)`: resize in the image's own mode (RGBA
  /// premultiplied,
  /// P with nearest), centre crop with offset round((size - crop) / 2) rounding half to even, then
  /// convert to RGB; normalise x / 255 in float32.
  kOpenClip,
  /// transformers `CLIPImageProcessor`: convert to RGB first, resize the shortest edge, centre crop
  /// with offset floor((size - crop) / 2); normalise float32(x * (1 / 255) in float64).
  kHuggingFace,
};

/// Preprocessing settings; the field names follow open_clip's `preprocess_cfg`.
struct PreprocessConfig {
  int image_size = 224;  ///< Side of the square crop, in pixels.
  std::array<float, 3> mean{0.48145466f, 0.4578275f,
                            0.40821073f};  ///< Per-channel mean (OpenAI's).
  std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};  ///< Per-channel std (OpenAI's).
  /// Resampling filter: "bicubic" or "bilinear" (open_clip's choices; its "random" means bicubic at
  /// inference), or another Pillow filter name: "nearest", "box", "hamming", "lanczos".
  std::string interpolation = "bicubic";
  /// "shortest" (scale the short side to image_size, centre crop), "longest" (scale the long side,
  /// pad with fill_color, open_clip only) or "squash" (scale both sides, no crop).
  std::string resize_mode = "shortest";
  PreprocessStyle style = PreprocessStyle::kOpenClip;  ///< Whose semantics to reproduce.
  int fill_color = 0;  ///< Padding value (every channel) for resize_mode "longest".
};

/// Returns the RGB uint8 crop of image_size x image_size that the reference produces before
/// ToTensor/rescaling, for an image of any mode and size (at least 1x1). An I;16 image is first
/// converted to I (exact), since Pillow refuses to resize I;16 with bicubic.
/// NOTE: transformers 4.36 raises on a 1x1 image (it cannot infer the channel axis); kHuggingFace
/// resizes it like any other image instead.
/// Thread-safe. Throws Error(kInvalidArgument) naming the field for an invalid config (size below
/// 1, unknown interpolation or resize mode) or a malformed/empty image, Error(kUnsupported) for
/// "longest" with kHuggingFace.
Image preprocess_crop(const Image& image, const PreprocessConfig& config);

/// Stacks RGB crops of equal size into the model input: float32 [N, 3, H, W] on CPU, bit for bit
/// as the reference computes it: (x / 255 - mean) / std for kOpenClip (torchvision ToTensor +
/// Normalize), (float32(x * (1/255)) - mean) / std for kHuggingFace. Throws Error(kInvalidArgument)
/// for an empty list, a crop that is not RGB, or crops of different sizes.
torch::Tensor normalize_crops(const std::vector<Image>& crops, const PreprocessConfig& config);

/// Returns the (width, height) that a "shortest" resize to `size` gives for a width x height image
/// (torchvision's rule, shared by transformers): the short side becomes `size`, the long side
/// int(size * long / short), truncated.
std::array<int, 2> shortest_edge_size(int width, int height, int size);

}  // namespace clipscope::image
