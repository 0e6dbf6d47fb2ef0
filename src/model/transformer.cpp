#include "clipscope/model/transformer.h"

#include <torch/torch.h>

namespace clipscope::model {

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads, double mlp_ratio,
                                 Activation activation, double layer_norm_eps)
    : width(width) {
  resblocks = register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) {
    blocks.push_back(ResidualAttentionBlock(width, heads, mlp_ratio, activation, layer_norm_eps));
    resblocks->push_back(blocks.back());
  }
}

torch::Tensor TransformerImpl::forward(torch::Tensor x, const torch::Tensor& attn_mask) {
  for (auto& block : blocks) {
    x = block->forward(x, attn_mask);
  }
  return x;
}

torch::Tensor TransformerImpl::attention_weights(torch::Tensor x, int64_t block, const torch::Tensor& attn_mask) {
  TORCH_CHECK(block >= 0 && block < static_cast<int64_t>(blocks.size()), "block ", block,
              " is out of range; the transformer has ", blocks.size(), " blocks (0..", blocks.size() - 1, ")");
  for (int64_t i = 0; i < block; ++i) {
    x = blocks[i]->forward(x, attn_mask);
  }
  return blocks[block]->forward_with_weights(x, attn_mask).second;
}

}  // namespace clipscope::model
