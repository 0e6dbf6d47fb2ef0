#include "clipscope/experiments/attention_share.h"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "clipscope/error.h"

namespace clipscope::experiments {
namespace {

// Shares are sums of at most grid * grid double products.
constexpr double kShareTolerance = 1e-12;

ObjectMask rectangle(int width, int height, int x0, int y0, int x1, int y1) {
  ObjectMask mask{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height, 0)};
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) mask.pixels[static_cast<size_t>(y) * width + x] = 1;
  }
  return mask;
}

TEST(AttentionShare, UniformAttentionGivesAreaShare) {
  const int64_t grid = 7;
  const int side = 224;
  std::vector<ObjectMask> masks = {rectangle(side, side, 0, 0, 150, 120), rectangle(side, side, 100, 90, 131, 223),
                                   rectangle(side, side, 3, 5, 4, 6)};
  torch::Tensor uniform = torch::full({grid * grid}, 0.5f);  // not normalised on purpose
  std::vector<double> shares = attention_object_shares(uniform, grid, masks);
  ASSERT_EQ(shares.size(), masks.size());
  for (size_t m = 0; m < masks.size(); ++m) {
    double area = static_cast<double>(std::count(masks[m].pixels.begin(), masks[m].pixels.end(), 1));
    EXPECT_NEAR(shares[m], area / (side * side), kShareTolerance) << "mask " << m;
  }
}

TEST(AttentionShare, PeakedAttentionFollowsPatch) {
  const int64_t grid = 2;
  torch::Tensor attention = torch::tensor({0.0f, 1.0f, 0.0f, 0.0f});  // top-right patch only
  std::vector<ObjectMask> masks = {rectangle(4, 4, 2, 0, 4, 2), rectangle(4, 4, 0, 0, 2, 4),
                                   rectangle(4, 4, 3, 0, 4, 2)};
  std::vector<double> shares = attention_object_shares(attention, grid, masks);
  EXPECT_NEAR(shares[0], 1.0, kShareTolerance);
  EXPECT_NEAR(shares[1], 0.0, kShareTolerance);
  EXPECT_NEAR(shares[2], 0.5, kShareTolerance);
}

TEST(AttentionShare, RejectsShapeMismatch) {
  EXPECT_THROW(attention_object_shares(torch::ones({5}), 2, {}), Error);
  EXPECT_THROW(attention_object_shares(torch::zeros({4}), 2, {}), Error);
  ObjectMask broken{4, 4, std::vector<uint8_t>(3, 0)};
  EXPECT_THROW(attention_object_shares(torch::ones({4}), 2, {broken}), Error);
}

}  // namespace
}  // namespace clipscope::experiments
