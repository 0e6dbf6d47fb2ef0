#include "clipscope/experiments/attention_heatmap.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "clipscope/error.h"

namespace clipscope::experiments {
namespace {

// Colour stops of the heat scale at levels 0, 1/3, 2/3 and 1 (close to matplotlib's "plasma").
constexpr std::array<std::array<double, 3>, 4> kStops = {{{13, 8, 135}, {156, 23, 158}, {237, 121, 83}, {240, 249, 33}}};

constexpr double kCropWeight = 0.45;

bool inside(const ObjectMask& mask, int x, int y) {
  if (x < 0 || y < 0 || x >= mask.width || y >= mask.height) return false;
  return mask.pixels[static_cast<size_t>(y) * mask.width + x] != 0;
}

// An inside pixel with a 4-neighbour outside the mask (or at the image border).
bool on_outline(const ObjectMask& mask, int x, int y) {
  if (!inside(mask, x, y)) return false;
  return !inside(mask, x - 1, y) || !inside(mask, x + 1, y) || !inside(mask, x, y - 1) || !inside(mask, x, y + 1);
}

}  // namespace

std::array<uint8_t, 3> heat_color(double level) {
  const double t = std::clamp(level, 0.0, 1.0) * static_cast<double>(kStops.size() - 1);
  const size_t low = std::min(static_cast<size_t>(t), kStops.size() - 2);
  const double fraction = t - static_cast<double>(low);
  std::array<uint8_t, 3> color{};
  for (size_t c = 0; c < 3; ++c) {
    const double value = kStops[low][c] + (kStops[low + 1][c] - kStops[low][c]) * fraction;
    color[c] = static_cast<uint8_t>(std::lround(value));
  }
  return color;
}

image::Image attention_overlay(const image::Image& crop, const torch::Tensor& patch_attention, int64_t grid,
                               const ObjectMask* outline) {
  if (crop.mode != image::PixelMode::kRGB || crop.width <= 0 || crop.height <= 0) {
    fail(ErrorKind::kInvalidArgument, "attention overlay needs a non-empty RGB crop, got mode {} of {}x{}",
         image::mode_name(crop.mode), crop.width, crop.height);
  }
  if (grid <= 0 || patch_attention.dim() != 1 || patch_attention.size(0) != grid * grid) {
    fail(ErrorKind::kInvalidArgument, "patch attention has {} values but a {}x{} grid needs {}",
         patch_attention.numel(), grid, grid, grid * grid);
  }
  if (outline != nullptr && (outline->width != crop.width || outline->height != crop.height ||
                             outline->pixels.size() != static_cast<size_t>(crop.width) * crop.height)) {
    fail(ErrorKind::kInvalidArgument, "outline mask is {}x{} but the crop is {}x{}", outline->width, outline->height,
         crop.width, crop.height);
  }
  const torch::Tensor attention = patch_attention.to(torch::kFloat64).contiguous();
  const double peak = attention.max().item<double>();
  const double* weights = attention.data_ptr<double>();

  image::Image overlay = image::Image::blank(crop.width, crop.height, image::PixelMode::kRGB);
  for (int y = 0; y < crop.height; ++y) {
    const int64_t row = static_cast<int64_t>(y) * grid / crop.height;
    for (int x = 0; x < crop.width; ++x) {
      uint8_t* out = overlay.at(x, y);
      if (outline != nullptr && on_outline(*outline, x, y)) {
        out[0] = out[1] = out[2] = 255;
        continue;
      }
      const int64_t patch = row * grid + static_cast<int64_t>(x) * grid / crop.width;
      const std::array<uint8_t, 3> color = heat_color(peak > 0 ? weights[patch] / peak : 0.0);
      const uint8_t* in = crop.at(x, y);
      for (size_t c = 0; c < 3; ++c) {
        out[c] = static_cast<uint8_t>(std::lround(kCropWeight * in[c] + (1.0 - kCropWeight) * color[c]));
      }
    }
  }
  return overlay;
}

}  // namespace clipscope::experiments
