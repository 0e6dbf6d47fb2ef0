// The ViT image tower of CLIP: patch embedding, class token, transformer, class-token pooling.
// Ref: open_clip 2.30 src/open_clip/transformer.py (VisionTransformer with pool_type "tok",
// no attentional pooling, ln_post before pooling). model/modified_resnet.h is the other image tower.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>

#include "clipscope/model/config.h"
#include "clipscope/model/transformer.h"

namespace clipscope::model {

/// ViT image encoder mapping [N, 3, image_size, image_size] to [N, embed_dim].
class VisionTransformerImpl : public torch::nn::Module {
 public:
  /// Builds the tower; config.patch_size must be set. Throws c10::Error otherwise.
  VisionTransformerImpl(const VisionConfig& config, int64_t embed_dim, Activation activation);

  /// Encodes normalised images float32 [N, 3, H, W] (H = W = image_size). Returns [N, embed_dim].
  /// Throws c10::Error naming the expected and actual shape.
  torch::Tensor forward(const torch::Tensor& images);

  /// Returns the class token's attention over all tokens in block `block` (0-based), averaged over
  /// heads: float32 [N, 1 + grid * grid], column 0 the class token itself, then patches row-major.
  /// Throws c10::Error if the block or the image shape is out of range.
  torch::Tensor class_token_attention(const torch::Tensor& images, int64_t block);

  VisionConfig config;                   ///< Architecture.
  torch::nn::Conv2d conv1{nullptr};      ///< Patch embedding, no bias.
  torch::Tensor class_embedding;         ///< [W].
  torch::Tensor positional_embedding;    ///< [1 + grid * grid, W].
  torch::nn::LayerNorm ln_pre{nullptr};  ///< Before the transformer.
  Transformer transformer{nullptr};      ///< config.layers[0] blocks.
  torch::nn::LayerNorm ln_post{nullptr}; ///< On the pooled class token.
  torch::Tensor proj;                    ///< [W, embed_dim].

 private:
  torch::Tensor embed_tokens(const torch::Tensor& images);
};
TORCH_MODULE(VisionTransformer);

}  // namespace clipscope::model
