#include "clipscope/model/vision_transformer.h"

#include <torch/torch.h>

namespace clipscope::model {

VisionTransformerImpl::VisionTransformerImpl(const VisionConfig& config, int64_t embed_dim, Activation activation)
    : config(config) {
  TORCH_CHECK(config.patch_size.has_value() && config.layers.size() == 1,
              "VisionTransformer needs a patch_size and one layer count");
  const int64_t width = config.width;
  const int64_t patch = *config.patch_size;
  const int64_t grid = config.image_size / patch;
  auto norm_options = torch::nn::LayerNormOptions({width}).eps(config.layer_norm_eps);

  conv1 = register_module("conv1",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(3, width, patch).stride(patch).bias(false)));
  class_embedding = register_parameter("class_embedding", torch::zeros({width}));
  positional_embedding = register_parameter("positional_embedding", torch::zeros({grid * grid + 1, width}));
  ln_pre = register_module("ln_pre", torch::nn::LayerNorm(norm_options));
  transformer = register_module(
      "transformer", Transformer(width, config.layers[0], config.heads(), config.mlp_ratio, activation,
                                 config.layer_norm_eps));

  ln_post = register_module("ln_post", torch::nn::LayerNorm(norm_options));
  proj = register_parameter("proj", torch::zeros({width, embed_dim}));
}

torch::Tensor VisionTransformerImpl::embed_tokens(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == config.image_size &&
                  images.size(3) == config.image_size,
              "image batch must be [N, 3, ", config.image_size, ", ", config.image_size, "], got ", images.sizes());

  // patch embedding
  auto x = conv1->forward(images);                       // [N, W, G, G]
  x = x.reshape({x.size(0), x.size(1), -1}).permute({0, 2, 1});  // [N, G*G, W]

  // add class token and positions
  auto cls = class_embedding.to(x.dtype()).expand({x.size(0), 1, x.size(2)});  // [N, 1, W]
  x = torch::cat({cls, x}, 1);                           // [N, T, W]
  x = x + positional_embedding.to(x.dtype());
  return ln_pre->forward(x);
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images) {
  auto x = embed_tokens(images);  // [N, T, W]
  x = transformer->forward(x);
  x = ln_post->forward(x);

  // class-token pooling ("tok")
  auto pooled = x.select(1, 0);   // [N, W]
  return pooled.matmul(proj);     // [N, E]
}

torch::Tensor VisionTransformerImpl::class_token_attention(const torch::Tensor& images, int64_t block) {
  auto x = embed_tokens(images);                               // [N, T, W]
  auto weights = transformer->attention_weights(x, block);     // [N, T, T]
  return weights.select(1, 0).contiguous();                    // [N, T]
}

}  // namespace clipscope::model
