// The CLIP model: text tower attributes on the model itself and an image tower under `visual`,
// so that named_parameters() equals open_clip's state-dict keys.
// Ref: open_clip 2.30 src/open_clip/model.py (CLIP, encode_text, encode_image).
// model/loader.h builds it from a checkpoint; model/clip_encoder.h adds batching and I/O.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>

#include "clipscope/model/config.h"
#include "clipscope/model/modified_resnet.h"
#include "clipscope/model/transformer.h"
#include "clipscope/model/vision_transformer.h"

namespace clipscope::model {

/// CLIP with an optional text tower and an optional image tower (at least one present).
/// logit_scale exists only when both towers do.
class CLIPImpl : public torch::nn::Module {
 public:
  /// Builds the modules of `config` with uninitialised weights; the loader fills them.
  explicit CLIPImpl(const ModelConfig& config);

  /// Embeds token ids int64 [N, L], 1 <= L <= context_length, each row holding its end token
  /// (the pooled position, see TextConfig::pool_type). Returns float32 [N, embed_dim] before L2
  /// normalisation. Throws c10::Error on a bad shape or dtype, Error(kUnsupported) without a text tower.
  torch::Tensor encode_text(const torch::Tensor& ids);

  /// Embeds normalised images float32 [N, 3, S, S], S = image_size. Returns float32
  /// [N, embed_dim] before L2 normalisation. Throws Error(kUnsupported) without an image tower.
  torch::Tensor encode_image(const torch::Tensor& images);

  /// Returns true if the text tower is present.
  bool has_text_tower() const { return config.text_cfg.has_value(); }
  /// Returns true if the image tower is present.
  bool has_image_tower() const { return config.vision_cfg.has_value(); }

  ModelConfig config;  ///< Architecture.

  // text tower
  torch::nn::Embedding token_embedding{nullptr};  ///< [vocab_size, width].
  torch::Tensor positional_embedding;             ///< [context_length, width].
  Transformer transformer{nullptr};               ///< Causal text transformer.
  torch::nn::LayerNorm ln_final{nullptr};         ///< After the transformer.
  torch::Tensor text_projection;                  ///< [width, embed_dim].
  torch::Tensor logit_scale;                      ///< Scalar, log of the similarity scale.
  /// Causal additive mask [context_length, context_length] (-inf above the diagonal). A plain
  /// member, not a buffer, because open_clip keeps it out of the state dict.
  torch::Tensor attn_mask;

  // image tower, registered as "visual": exactly one of these is set when vision_cfg is
  VisionTransformer visual_vit{nullptr};
  ModifiedResNet visual_resnet{nullptr};
};
TORCH_MODULE(CLIP);

}  // namespace clipscope::model
