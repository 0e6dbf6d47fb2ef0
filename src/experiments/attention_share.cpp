#include "clipscope/experiments/attention_share.h"

#include <fmt/ranges.h>
#include <torch/torch.h>

#include "clipscope/error.h"

namespace clipscope::experiments {

std::vector<double> attention_object_shares(const torch::Tensor& patch_attention, int64_t grid,
                                            const std::vector<ObjectMask>& masks) {
  if (grid <= 0 || patch_attention.dim() != 1 || patch_attention.size(0) != grid * grid) {
    fail(ErrorKind::kInvalidArgument, "patch attention has shape {} but a {}x{} grid needs [{}]",
         patch_attention.sizes().vec(), grid, grid, grid * grid);
  }
  torch::Tensor attention = patch_attention.to(torch::kFloat64).contiguous();
  double total = attention.sum().item<double>();
  if (!(total > 0)) fail(ErrorKind::kInvalidArgument, "patch attention sums to {}; expected a positive sum", total);
  const double* weights = attention.data_ptr<double>();

  std::vector<double> shares;
  shares.reserve(masks.size());
  for (size_t m = 0; m < masks.size(); ++m) {
    const ObjectMask& mask = masks[m];
    if (mask.width <= 0 || mask.height <= 0 ||
        mask.pixels.size() != static_cast<size_t>(mask.width) * static_cast<size_t>(mask.height)) {
      fail(ErrorKind::kInvalidArgument, "mask {} has {} pixels for size {}x{}; expected width * height", m,
           mask.pixels.size(), mask.width, mask.height);
    }
    // pixels per patch and pixels inside the mask per patch
    std::vector<int64_t> patch_pixels(grid * grid, 0), inside(grid * grid, 0);
    for (int y = 0; y < mask.height; ++y) {
      int64_t row = static_cast<int64_t>(y) * grid / mask.height;
      for (int x = 0; x < mask.width; ++x) {
        int64_t patch = row * grid + static_cast<int64_t>(x) * grid / mask.width;
        ++patch_pixels[patch];
        if (mask.pixels[static_cast<size_t>(y) * mask.width + x] != 0) ++inside[patch];
      }
    }
    double share = 0;
    for (int64_t patch = 0; patch < grid * grid; ++patch) {
      if (patch_pixels[patch] == 0) continue;  // masks smaller than the grid leave patches empty
      share += weights[patch] / total * static_cast<double>(inside[patch]) / static_cast<double>(patch_pixels[patch]);
    }
    shares.push_back(share);
  }
  return shares;
}

}  // namespace clipscope::experiments
