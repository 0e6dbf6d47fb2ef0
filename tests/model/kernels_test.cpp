#include "clipscope/model/kernels.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <tuple>

namespace clipscope::model::kernels {
namespace {

// float32 results from different summation orders (blocked GEMM, fused softmax) differ by a few ulps
// of values around 1, so 1e-5 absolute plus 1e-5 relative covers rounding and nothing else.
constexpr double kAbsoluteTolerance = 1e-5;
constexpr double kRelativeTolerance = 1e-5;

struct AttentionWeights {
  torch::Tensor in_proj_weight;   // [3D, D]
  torch::Tensor in_proj_bias;     // [3D]
  torch::Tensor out_proj_weight;  // [D, D]
  torch::Tensor out_proj_bias;    // [D]
};

AttentionWeights random_attention_weights(int64_t width) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(width));
  return {torch::randn({3 * width, width}) * scale, torch::randn({3 * width}) * 0.1,
          torch::randn({width, width}) * scale, torch::randn({width}) * 0.1};
}

torch::Tensor causal_mask(int64_t length) {
  return torch::full({length, length}, -std::numeric_limits<float>::infinity()).triu(1);
}

// LibTorch's own nn.MultiheadAttention forward, which takes sequence-first [L, B, D] tensors.
std::pair<torch::Tensor, torch::Tensor> libtorch_attention(const torch::Tensor& x, const AttentionWeights& weights,
                                                           int64_t num_heads, const torch::Tensor& mask) {
  namespace F = torch::nn::functional;
  auto sequence_first = x.transpose(0, 1);  // [L, B, D]
  auto options = F::MultiheadAttentionForwardFuncOptions(
                     x.size(2), num_heads, weights.in_proj_weight, weights.in_proj_bias, torch::Tensor(),
                     torch::Tensor(), false, 0.0, weights.out_proj_weight, weights.out_proj_bias)
                     .training(false)
                     .need_weights(true);
  if (mask.defined()) {
    options = options.attn_mask(mask);
  }
  auto [output, probabilities] =
      F::multi_head_attention_forward(sequence_first, sequence_first, sequence_first, options);
  return {output.transpose(0, 1), probabilities};
}

// Attention written out step by step in float64, the ground truth for both float32 implementations.
std::pair<torch::Tensor, torch::Tensor> explicit_attention(const torch::Tensor& x, const AttentionWeights& weights,
                                                           int64_t num_heads, const torch::Tensor& mask) {
  const auto f64 = torch::kFloat64;
  const int64_t batch = x.size(0);
  const int64_t length = x.size(1);
  const int64_t width = x.size(2);
  const int64_t head_dim = width / num_heads;

  auto qkv = torch::matmul(x.to(f64), weights.in_proj_weight.to(f64).t()) + weights.in_proj_bias.to(f64);
  auto split = qkv.chunk(3, -1);
  auto to_heads = [&](const torch::Tensor& t) {
    return t.reshape({batch, length, num_heads, head_dim}).transpose(1, 2);  // [B, H, L, d]
  };
  auto q = to_heads(split[0]) / std::sqrt(static_cast<double>(head_dim));
  auto k = to_heads(split[1]);
  auto v = to_heads(split[2]);

  auto scores = torch::matmul(q, k.transpose(-2, -1));  // [B, H, L, L]
  if (mask.defined()) {
    scores = scores + mask.to(f64);
  }
  auto probabilities = torch::softmax(scores, -1);
  auto context = torch::matmul(probabilities, v).transpose(1, 2).reshape({batch, length, width});
  auto output = torch::matmul(context, weights.out_proj_weight.to(f64).t()) + weights.out_proj_bias.to(f64);
  return {output.to(torch::kFloat32), probabilities.mean(1).to(torch::kFloat32)};
}

void expect_close(const torch::Tensor& actual, const torch::Tensor& expected, const std::string& label) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << label;
  EXPECT_TRUE(torch::allclose(actual, expected, kRelativeTolerance, kAbsoluteTolerance))
      << label << ": max abs difference " << (actual - expected).abs().max().item<double>();
}

// batch, length, width, heads, causal mask
using AttentionCase = std::tuple<int64_t, int64_t, int64_t, int64_t, bool>;

class AttentionKernel : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(AttentionKernel, MatchesLibTorchAndFloat64Reference) {
  const auto [batch, length, width, heads, causal] = GetParam();
  torch::manual_seed(batch * 1000 + length * 10 + heads);
  auto x = torch::randn({batch, length, width});
  auto weights = random_attention_weights(width);
  auto mask = causal ? causal_mask(length) : torch::Tensor();

  auto output = multi_head_self_attention(x, weights.in_proj_weight, weights.in_proj_bias, weights.out_proj_weight,
                                          weights.out_proj_bias, heads, mask);
  auto [output_with_weights, probabilities] =
      multi_head_self_attention_with_weights(x, weights.in_proj_weight, weights.in_proj_bias,
                                             weights.out_proj_weight, weights.out_proj_bias, heads, mask);
  auto [libtorch_output, libtorch_probabilities] = libtorch_attention(x, weights, heads, mask);
  auto [exact_output, exact_probabilities] = explicit_attention(x, weights, heads, mask);

  expect_close(output, libtorch_output, "output vs LibTorch");
  expect_close(output, exact_output, "output vs float64");
  expect_close(output_with_weights, output, "output with weights vs without");
  expect_close(probabilities, libtorch_probabilities, "probabilities vs LibTorch");
  expect_close(probabilities, exact_probabilities, "probabilities vs float64");
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionKernel,
                         ::testing::Values(AttentionCase{2, 50, 64, 4, false},   // vision-like
                                           AttentionCase{3, 77, 64, 8, true},    // text context, causal
                                           AttentionCase{2, 12, 48, 4, true},    // truncated caption
                                           AttentionCase{1, 1, 32, 2, false},    // single token
                                           AttentionCase{1, 1, 32, 2, true},     // single token, causal
                                           AttentionCase{1, 7, 24, 1, false},    // one head
                                           AttentionCase{5, 13, 30, 3, true},    // odd sizes
                                           AttentionCase{1, 50, 768, 12, false}  // ViT-B/32 width
                                           ));

TEST(AttentionKernel, AcceptsNonContiguousInput) {
  torch::manual_seed(7);
  auto x = torch::randn({9, 2, 32}).transpose(0, 1);  // [B, L, D] view of a sequence-first tensor
  auto weights = random_attention_weights(32);
  auto output = multi_head_self_attention(x, weights.in_proj_weight, weights.in_proj_bias, weights.out_proj_weight,
                                          weights.out_proj_bias, 4, torch::Tensor());
  expect_close(output, explicit_attention(x, weights, 4, torch::Tensor()).first, "output vs float64");
}

TEST(AttentionKernel, RunsUnderInferenceMode) {
  torch::manual_seed(9);
  auto x = torch::randn({4, 50, 64});
  auto weights = random_attention_weights(64);
  auto expected = explicit_attention(x, weights, 8, causal_mask(50)).first;
  torch::InferenceMode inference;
  auto output = multi_head_self_attention(x, weights.in_proj_weight, weights.in_proj_bias, weights.out_proj_weight,
                                          weights.out_proj_bias, 8, causal_mask(50));
  expect_close(output, expected, "output vs float64");
}

TEST(AttentionKernel, AppliesArbitraryAdditiveMask) {
  torch::manual_seed(8);
  auto x = torch::randn({2, 6, 16});
  auto weights = random_attention_weights(16);
  auto mask = torch::randn({6, 6});
  auto [output, probabilities] = multi_head_self_attention_with_weights(
      x, weights.in_proj_weight, weights.in_proj_bias, weights.out_proj_weight, weights.out_proj_bias, 2, mask);
  auto [exact_output, exact_probabilities] = explicit_attention(x, weights, 2, mask);
  expect_close(output, exact_output, "output vs float64");
  expect_close(probabilities, exact_probabilities, "probabilities vs float64");
}

TEST(AttentionKernel, RejectsMismatchedShapes) {
  auto weights = random_attention_weights(16);
  auto x = torch::randn({2, 5, 16});
  EXPECT_THROW(multi_head_self_attention(x, weights.in_proj_weight, weights.in_proj_bias, weights.out_proj_weight,
                                         weights.out_proj_bias, 3, torch::Tensor()),
               c10::Error);
  EXPECT_THROW(multi_head_self_attention(x.flatten(0, 1), weights.in_proj_weight, weights.in_proj_bias,
                                         weights.out_proj_weight, weights.out_proj_bias, 2, torch::Tensor()),
               c10::Error);
  EXPECT_THROW(multi_head_self_attention(x, weights.in_proj_weight, weights.in_proj_bias, weights.out_proj_weight,
                                         weights.out_proj_bias, 2, causal_mask(4)),
               c10::Error);
  EXPECT_THROW(multi_head_self_attention(x, weights.out_proj_weight, weights.in_proj_bias, weights.out_proj_weight,
                                         weights.out_proj_bias, 2, torch::Tensor()),
               c10::Error);
}

TEST(ActivationKernel, QuickGeluMatchesFormula) {
  torch::manual_seed(1);
  auto x = torch::randn({3, 50, 257}) * 4;
  auto expected = x * torch::sigmoid(1.702 * x);
  expect_close(quick_gelu(x.clone()), expected, "contiguous");
  expect_close(quick_gelu(x.transpose(0, 2)), expected.transpose(0, 2), "non-contiguous");
}

TEST(ActivationKernel, QuickGeluUpdatesInPlace) {
  torch::manual_seed(5);
  auto x = torch::randn({4, 50, 3072});
  auto expected = x * torch::sigmoid(1.702 * x);
  torch::InferenceMode inference;
  auto input = x.clone();
  auto output = quick_gelu(input);
  EXPECT_EQ(output.data_ptr(), input.data_ptr());
  expect_close(output, expected, "in place");
}

TEST(ActivationKernel, QuickGeluKeepsAutogradInput) {
  auto x = torch::randn({5, 7}).requires_grad_();
  auto output = quick_gelu(x);
  EXPECT_NE(output.data_ptr(), x.data_ptr());
  expect_close(output.detach(), (x * torch::sigmoid(1.702 * x)).detach(), "autograd input");
}

TEST(ActivationKernel, QuickGeluHandlesExtremes) {
  auto x = torch::tensor({-1000.0f, -90.0f, -1e-30f, 0.0f, 1e-30f, 90.0f, 1000.0f});
  auto expected = x * torch::sigmoid(1.702 * x);
  auto actual = quick_gelu(x.clone());
  EXPECT_FALSE(actual.isnan().any().item<bool>());
  expect_close(actual, expected, "extremes");
}

TEST(ActivationKernel, GeluErfMatchesLibTorch) {
  torch::manual_seed(2);
  auto x = torch::randn({4, 77, 129}) * 4;
  expect_close(gelu_erf(x.clone()), torch::gelu(x), "erf");
}

TEST(ActivationKernel, GeluTanhMatchesLibTorch) {
  torch::manual_seed(3);
  auto x = torch::randn({4, 77, 129}) * 4;
  expect_close(gelu_tanh(x.clone()), torch::gelu(x, "tanh"), "tanh");
}

TEST(LinearKernel, MatchesMatmulOnAnyLeadingShape) {
  torch::manual_seed(4);
  auto weight = torch::randn({96, 40}) / std::sqrt(40.0);
  auto bias = torch::randn({96});
  for (auto shape : {std::vector<int64_t>{40}, std::vector<int64_t>{7, 40}, std::vector<int64_t>{3, 5, 40}}) {
    auto x = torch::randn(shape);
    auto expected = (torch::matmul(x.to(torch::kFloat64), weight.to(torch::kFloat64).t()) + bias.to(torch::kFloat64))
                        .to(torch::kFloat32);
    expect_close(linear(x, weight, bias), expected, "with bias");
    expect_close(linear(x, weight, torch::Tensor()), expected - bias, "without bias");
  }
}

TEST(LinearKernel, RejectsMismatchedWeight) {
  auto x = torch::randn({2, 8});
  EXPECT_THROW(linear(x, torch::randn({4, 9}), torch::randn({4})), c10::Error);
  EXPECT_THROW(linear(x, torch::randn({4, 8}), torch::randn({5})), c10::Error);
}

}  // namespace
}  // namespace clipscope::model::kernels
