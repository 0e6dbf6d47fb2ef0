#include "clipscope/model/attention.h"

#include <torch/torch.h>

#include "clipscope/model/kernels.h"

namespace clipscope::model {

AttentionImpl::AttentionImpl(int64_t width, int64_t heads) : heads(heads) {
  TORCH_CHECK(heads > 0 && width % heads == 0, "attention width ", width, " is not a multiple of heads ", heads);
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& attn_mask) {
  return kernels::multi_head_self_attention(x, in_proj_weight, in_proj_bias, out_proj->weight, out_proj->bias,
                                            heads, attn_mask);
}

std::pair<torch::Tensor, torch::Tensor> AttentionImpl::forward_with_weights(const torch::Tensor& x,
                                                                            const torch::Tensor& attn_mask) {
  return kernels::multi_head_self_attention_with_weights(x, in_proj_weight, in_proj_bias, out_proj->weight,
                                                         out_proj->bias, heads, attn_mask);
}

}  // namespace clipscope::model
