// Multi-head self-attention with the parameter layout of torch.nn.MultiheadAttention, which is the
// checkpoint layout of every open_clip and OpenAI CLIP transformer block.
// Ref: open_clip 2.30 src/open_clip/transformer.py (ResidualAttentionBlock.attn = nn.MultiheadAttention).
// The compute lives in model/kernels.h; model/residual_attention_block.h uses this module.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <utility>

namespace clipscope::model {

/// Self-attention over [B, L, D] tokens. Registers exactly in_proj_weight [3D, D],
/// in_proj_bias [3D] (query, key, value rows in that order) and out_proj (Linear D -> D).
class AttentionImpl : public torch::nn::Module {
 public:
  /// Builds attention of `width` channels split into `heads` heads. Throws c10::Error if heads
  /// does not divide width.
  AttentionImpl(int64_t width, int64_t heads);

  /// Attends x float32 [B, L, D] to itself. attn_mask is undefined or an additive float mask
  /// [L, L]. Returns [B, L, D].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask = {});

  /// Same as forward(), and also returns the attention probabilities averaged over heads
  /// [B, L, L] (row = query, column = key).
  std::pair<torch::Tensor, torch::Tensor> forward_with_weights(const torch::Tensor& x,
                                                               const torch::Tensor& attn_mask = {});

  int64_t heads;                        ///< Number of heads.
  torch::Tensor in_proj_weight;         ///< [3D, D].
  torch::Tensor in_proj_bias;           ///< [3D].
  torch::nn::Linear out_proj{nullptr};  ///< D -> D with bias.
};
TORCH_MODULE(Attention);

}  // namespace clipscope::model
