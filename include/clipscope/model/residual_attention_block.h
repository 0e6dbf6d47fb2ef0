// One pre-LayerNorm transformer block (attention, then MLP, each with a residual) and its MLP.
// Ref: open_clip 2.30 src/open_clip/transformer.py (ResidualAttentionBlock; mlp is an
// OrderedDict of c_fc, gelu, c_proj). model/transformer.h stacks these blocks.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>
#include <utility>

#include "clipscope/model/attention.h"
#include "clipscope/model/config.h"

namespace clipscope::model {

/// The block's feed-forward part: c_fc (D -> hidden), activation, c_proj (hidden -> D).
class MLPImpl : public torch::nn::Module {
 public:
  /// Builds an MLP of `width` channels with `hidden` hidden channels.
  MLPImpl(int64_t width, int64_t hidden, Activation activation);

  /// Maps x [..., D] to [..., D].
  torch::Tensor forward(const torch::Tensor& x);

  Activation activation;               ///< Applied between c_fc and c_proj.
  torch::nn::Linear c_fc{nullptr};     ///< D -> hidden.
  torch::nn::Linear c_proj{nullptr};   ///< hidden -> D.
};
TORCH_MODULE(MLP);

/// x + attn(ln_1(x)), then x + mlp(ln_2(x)).
class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  /// Builds a block whose MLP hidden width is width * mlp_ratio truncated to an integer, as open_clip does.
  ResidualAttentionBlockImpl(int64_t width, int64_t heads, double mlp_ratio, Activation activation,
                             double layer_norm_eps);

  /// Maps x float32 [B, L, D] to [B, L, D]; attn_mask as in Attention::forward().
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask = {});

  /// Same as forward(), and also returns the head-averaged attention probabilities [B, L, L].
  std::pair<torch::Tensor, torch::Tensor> forward_with_weights(const torch::Tensor& x,
                                                               const torch::Tensor& attn_mask = {});

  torch::nn::LayerNorm ln_1{nullptr};  ///< Before attention.
  Attention attn{nullptr};             ///< Self-attention.
  torch::nn::LayerNorm ln_2{nullptr};  ///< Before the MLP.
  MLP mlp{nullptr};                    ///< Feed-forward.
};
TORCH_MODULE(ResidualAttentionBlock);

}  // namespace clipscope::model
