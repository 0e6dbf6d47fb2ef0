#include "clipscope/model/clip.h"

#include <torch/torch.h>

#include <limits>

#include "clipscope/error.h"

namespace clipscope::model {

CLIPImpl::CLIPImpl(const ModelConfig& config) : config(config) {
  if (config.text_cfg) {
    const auto& text = *config.text_cfg;
    token_embedding = register_module("token_embedding", torch::nn::Embedding(text.vocab_size, text.width));
    positional_embedding =
        register_parameter("positional_embedding", torch::zeros({text.context_length, text.width}));
    transformer = register_module("transformer", Transformer(text.width, text.layers, text.heads, text.mlp_ratio,
                                                             config.activation, text.layer_norm_eps));
    ln_final = register_module("ln_final",
                               torch::nn::LayerNorm(torch::nn::LayerNormOptions({text.width}).eps(text.layer_norm_eps)));
    text_projection = register_parameter("text_projection", torch::zeros({text.width, config.embed_dim}));
    attn_mask = torch::full({text.context_length, text.context_length}, -std::numeric_limits<float>::infinity())
                    .triu_(1);
  }

  if (config.vision_cfg) {
    if (config.vision_cfg->is_resnet()) {
      visual_resnet = register_module("visual", ModifiedResNet(*config.vision_cfg, config.embed_dim));
    } else {
      visual_vit = register_module("visual", VisionTransformer(*config.vision_cfg, config.embed_dim,
                                                               config.activation));
    }
  }

  if (config.text_cfg && config.vision_cfg) {
    logit_scale = register_parameter("logit_scale", torch::zeros({}));
  }
}

torch::Tensor CLIPImpl::encode_text(const torch::Tensor& ids) {
  if (!config.text_cfg) {
    fail(ErrorKind::kUnsupported, "the model has no text tower; use a checkpoint with text weights to embed texts");
  }
  const auto& text = *config.text_cfg;
  TORCH_CHECK(ids.dim() == 2 && ids.scalar_type() == torch::kInt64 && ids.size(1) >= 1 &&
                  ids.size(1) <= text.context_length,
              "token ids must be int64 [N, L] with 1 <= L <= ", text.context_length, ", got ", ids.scalar_type(),
              " ", ids.sizes());
  const int64_t length = ids.size(1);

  auto x = token_embedding->forward(ids);                      // [N, L, D]
  x = x + positional_embedding.narrow(0, 0, length);
  auto mask = attn_mask.narrow(0, 0, length).narrow(1, 0, length);  // [L, L]
  x = transformer->forward(x, mask);
  x = ln_final->forward(x);

  // pool at the end token
  auto positions = text.pool_type == "eos" ? (ids == text.eos_id).to(torch::kInt32).argmax(-1) : ids.argmax(-1);
  auto pooled = x.index({torch::arange(x.size(0)), positions});  // [N, D]
  return pooled.matmul(text_projection);                         // [N, E]
}

torch::Tensor CLIPImpl::encode_image(const torch::Tensor& images) {
  if (visual_vit) return visual_vit->forward(images);
  if (visual_resnet) return visual_resnet->forward(images);
  fail(ErrorKind::kUnsupported,
       "the model has no image tower; use a checkpoint with visual weights to embed images");
}

}  // namespace clipscope::model
