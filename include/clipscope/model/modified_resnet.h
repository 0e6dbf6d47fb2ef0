// The ModifiedResNet image tower of CLIP (RN50 family): three-conv stem, anti-aliased Bottleneck
// stages and attention pooling.
// Ref: open_clip 2.30 src/open_clip/modified_resnet.py (Bottleneck, AttentionPool2d, ModifiedResNet).
// model/vision_transformer.h is the other image tower.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <vector>

#include "clipscope/model/config.h"

namespace clipscope::model {

/// Residual block: 1x1 conv, 3x3 conv, average pool when strided, 1x1 conv expanding 4x; the
/// shortcut is downsample ("-1" AvgPool2d, "0" Conv2d, "1" BatchNorm2d) when the shape changes.
class BottleneckImpl : public torch::nn::Module {
 public:
  /// Builds a block from `inplanes` to planes * 4 channels with the given stride.
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride);

  /// Maps [N, inplanes, H, W] to [N, 4 * planes, H / stride, W / stride].
  torch::Tensor forward(const torch::Tensor& x);

  int64_t stride;                           ///< Spatial stride (1 or 2).
  torch::nn::Conv2d conv1{nullptr};         ///< 1x1, no bias.
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};         ///< 3x3, padding 1, no bias.
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Conv2d conv3{nullptr};         ///< 1x1 to 4 * planes, no bias.
  torch::nn::BatchNorm2d bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};  ///< Shortcut projection, or null for identity.
};
TORCH_MODULE(Bottleneck);

/// Attention pooling: the mean token queries all spatial tokens (plus itself).
class AttentionPool2dImpl : public torch::nn::Module {
 public:
  /// Builds pooling over a spacial_dim x spacial_dim grid of embed_dim channels.
  AttentionPool2dImpl(int64_t spacial_dim, int64_t embed_dim, int64_t heads, int64_t output_dim);

  /// Maps [N, C, S, S] to [N, output_dim].
  torch::Tensor forward(const torch::Tensor& x);

  int64_t heads;                        ///< Attention heads.
  torch::Tensor positional_embedding;   ///< [S * S + 1, C].
  torch::nn::Linear k_proj{nullptr};
  torch::nn::Linear q_proj{nullptr};
  torch::nn::Linear v_proj{nullptr};
  torch::nn::Linear c_proj{nullptr};    ///< C -> output_dim.
};
TORCH_MODULE(AttentionPool2d);

/// ModifiedResNet image encoder mapping [N, 3, image_size, image_size] to [N, embed_dim].
class ModifiedResNetImpl : public torch::nn::Module {
 public:
  /// Builds the tower; config.layers holds the four stage depths. Throws c10::Error otherwise.
  ModifiedResNetImpl(const VisionConfig& config, int64_t embed_dim);

  /// Encodes normalised images float32 [N, 3, H, W] (H = W = image_size). Returns [N, embed_dim].
  torch::Tensor forward(const torch::Tensor& images);

  VisionConfig config;                  ///< Architecture.
  torch::nn::Conv2d conv1{nullptr};     ///< 3x3 stride 2 to width / 2.
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};     ///< 3x3 to width / 2.
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Conv2d conv3{nullptr};     ///< 3x3 to width.
  torch::nn::BatchNorm2d bn3{nullptr};
  std::vector<torch::nn::Sequential> stages;  ///< layer1..layer4.
  AttentionPool2d attnpool{nullptr};
};
TORCH_MODULE(ModifiedResNet);

}  // namespace clipscope::model
