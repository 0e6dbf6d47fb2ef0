// A stack of residual attention blocks, shared by the text tower and the ViT image tower.
// Ref: open_clip 2.30 src/open_clip/transformer.py (Transformer, batch_first).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <cstdint>
#include <vector>

#include "clipscope/model/residual_attention_block.h"

namespace clipscope::model {

/// `layers` ResidualAttentionBlocks held in the ModuleList `resblocks`.
class TransformerImpl : public torch::nn::Module {
 public:
  /// Builds `layers` blocks of `width` channels and `heads` heads.
  TransformerImpl(int64_t width, int64_t layers, int64_t heads, double mlp_ratio, Activation activation,
                  double layer_norm_eps);

  /// Maps x float32 [B, L, D] to [B, L, D]; attn_mask undefined or additive [L, L].
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& attn_mask = {});

  /// Runs blocks 0..block and returns the head-averaged attention probabilities [B, L, L] of
  /// block `block`. Throws c10::Error if block is out of range.
  torch::Tensor attention_weights(torch::Tensor x, int64_t block, const torch::Tensor& attn_mask = {});

  int64_t width;                                   ///< Token width.
  torch::nn::ModuleList resblocks{nullptr};        ///< Registered as "resblocks".
  std::vector<ResidualAttentionBlock> blocks;      ///< Typed handles to the entries of resblocks.
};
TORCH_MODULE(Transformer);

}  // namespace clipscope::model
