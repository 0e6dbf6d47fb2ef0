#include "clipscope/model/residual_attention_block.h"

#include <torch/torch.h>

#include "clipscope/model/kernels.h"

namespace clipscope::model {

MLPImpl::MLPImpl(int64_t width, int64_t hidden, Activation activation) : activation(activation) {
  c_fc = register_module("c_fc", torch::nn::Linear(width, hidden));
  c_proj = register_module("c_proj", torch::nn::Linear(hidden, width));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) {
  auto hidden = kernels::linear(x, c_fc->weight, c_fc->bias);  // [..., H]
  switch (activation) {
    case Activation::kQuickGELU:
      hidden = kernels::quick_gelu(hidden);
      break;
    case Activation::kGELU:
      hidden = kernels::gelu_erf(hidden);
      break;
    case Activation::kGELUTanh:
      hidden = kernels::gelu_tanh(hidden);
      break;
  }
  return kernels::linear(hidden, c_proj->weight, c_proj->bias);  // [..., D]
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads, double mlp_ratio,
                                                       Activation activation, double layer_norm_eps) {
  // The epsilon keeps a ratio derived from a Hugging Face intermediate_size (e.g. 3072 / 768)
  // from truncating one below; open_clip ratios such as 4.3637 still truncate as int() does.
  const auto hidden = static_cast<int64_t>(static_cast<double>(width) * mlp_ratio + 1e-6);
  auto norm_options = torch::nn::LayerNormOptions({width}).eps(layer_norm_eps);
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(norm_options));
  attn = register_module("attn", Attention(width, heads));

  ln_2 = register_module("ln_2", torch::nn::LayerNorm(norm_options));
  mlp = register_module("mlp", MLP(width, hidden, activation));
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& attn_mask) {
  auto y = x + attn->forward(ln_1->forward(x), attn_mask);
  return y + mlp->forward(ln_2->forward(y));
}

std::pair<torch::Tensor, torch::Tensor> ResidualAttentionBlockImpl::forward_with_weights(
    const torch::Tensor& x, const torch::Tensor& attn_mask) {
  auto [attended, weights] = attn->forward_with_weights(ln_1->forward(x), attn_mask);
  auto y = x + attended;
  return {y + mlp->forward(ln_2->forward(y)), weights};
}

}  // namespace clipscope::model
