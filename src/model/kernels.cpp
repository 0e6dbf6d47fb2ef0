#include "clipscope/model/kernels.h"

#include <torch/torch.h>

#include <cmath>

namespace clipscope::model::kernels {
namespace {

void check_attention_arguments(const torch::Tensor& x, const torch::Tensor& in_proj_weight,
                               const torch::Tensor& in_proj_bias, const torch::Tensor& out_proj_weight,
                               const torch::Tensor& out_proj_bias, int64_t num_heads,
                               const torch::Tensor& attn_mask) {
  TORCH_CHECK(x.dim() == 3, "attention input must be [B, L, D], got shape ", x.sizes());
  const int64_t length = x.size(1);
  const int64_t width = x.size(2);
  TORCH_CHECK(num_heads > 0 && width % num_heads == 0, "attention width ", width,
              " must be a multiple of num_heads, got num_heads = ", num_heads);
  TORCH_CHECK(in_proj_weight.sizes() == torch::IntArrayRef({3 * width, width}),
              "in_proj_weight must be [3D, D] = [", 3 * width, ", ", width, "], got ", in_proj_weight.sizes());
  TORCH_CHECK(in_proj_bias.sizes() == torch::IntArrayRef({3 * width}), "in_proj_bias must be [3D] = [",
              3 * width, "], got ", in_proj_bias.sizes());
  TORCH_CHECK(out_proj_weight.sizes() == torch::IntArrayRef({width, width}), "out_proj_weight must be [D, D] = [",
              width, ", ", width, "], got ", out_proj_weight.sizes());
  TORCH_CHECK(out_proj_bias.sizes() == torch::IntArrayRef({width}), "out_proj_bias must be [D] = [", width,
              "], got ", out_proj_bias.sizes());
  if (attn_mask.defined()) {
    TORCH_CHECK(attn_mask.sizes() == torch::IntArrayRef({length, length}), "attn_mask must be [L, L] = [",
                length, ", ", length, "], got ", attn_mask.sizes());
    TORCH_CHECK(attn_mask.is_floating_point(), "attn_mask must be an additive float mask, got dtype ",
                attn_mask.scalar_type());
  }
}

// Returns the attention output [B, L, D] and, when requested, the head-averaged probabilities [B, L, L].
std::pair<torch::Tensor, torch::Tensor> attention(const torch::Tensor& x, const torch::Tensor& in_proj_weight,
                                                  const torch::Tensor& in_proj_bias,
                                                  const torch::Tensor& out_proj_weight,
                                                  const torch::Tensor& out_proj_bias, int64_t num_heads,
                                                  const torch::Tensor& attn_mask, bool need_weights) {
  check_attention_arguments(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, attn_mask);
  const int64_t batch = x.size(0);
  const int64_t length = x.size(1);
  const int64_t width = x.size(2);
  const int64_t head_dim = width / num_heads;

  auto qkv = linear(x, in_proj_weight, in_proj_bias);  // [B, L, 3D]
  auto heads = qkv.view({batch, length, 3, num_heads, head_dim}).permute({2, 0, 3, 1, 4});  // [3, B, H, L, d]
  auto q = heads[0] * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  auto k = heads[1];
  auto v = heads[2];

  auto scores = torch::matmul(q, k.transpose(-2, -1));  // [B, H, L, L]
  if (attn_mask.defined()) {
    scores = scores + attn_mask.to(scores.scalar_type());
  }
  auto probabilities = torch::softmax(scores, -1);
  auto context = torch::matmul(probabilities, v);  // [B, H, L, d]
  context = context.permute({0, 2, 1, 3}).reshape({batch, length, width});  // [B, L, D]

  auto output = linear(context, out_proj_weight, out_proj_bias);
  torch::Tensor averaged;
  if (need_weights) {
    averaged = probabilities.mean(1);  // [B, L, L]
  }
  return {output, averaged};
}

}  // namespace

torch::Tensor multi_head_self_attention(const torch::Tensor& x, const torch::Tensor& in_proj_weight,
                                        const torch::Tensor& in_proj_bias, const torch::Tensor& out_proj_weight,
                                        const torch::Tensor& out_proj_bias, int64_t num_heads,
                                        const torch::Tensor& attn_mask) {
  return attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, attn_mask, false)
      .first;
}

std::pair<torch::Tensor, torch::Tensor> multi_head_self_attention_with_weights(
    const torch::Tensor& x, const torch::Tensor& in_proj_weight, const torch::Tensor& in_proj_bias,
    const torch::Tensor& out_proj_weight, const torch::Tensor& out_proj_bias, int64_t num_heads,
    const torch::Tensor& attn_mask) {
  return attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, attn_mask, true);
}

torch::Tensor quick_gelu(torch::Tensor x) {
  return x * torch::sigmoid(1.702 * x);
}

torch::Tensor gelu_erf(torch::Tensor x) {
  return torch::gelu(x);
}

torch::Tensor gelu_tanh(torch::Tensor x) {
  return torch::gelu(x, "tanh");
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() >= 1, "linear input must have at least one dimension, got a scalar");
  TORCH_CHECK(weight.dim() == 2 && weight.size(1) == x.size(-1), "linear weight must be [N, K] with K = ",
              x.size(-1), " (the input's last dimension), got ", weight.sizes());
  TORCH_CHECK(!bias.defined() || bias.sizes() == torch::IntArrayRef({weight.size(0)}), "linear bias must be [N] = [",
              weight.size(0), "], got ", bias.sizes());
  return torch::nn::functional::linear(x, weight, bias);
}

}  // namespace clipscope::model::kernels
