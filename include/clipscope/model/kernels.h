// CPU kernels for the CLIP transformer: fused multi-head self-attention, the MLP activations and a
// flattened linear layer. The modules in model/attention.h and model/residual_attention_block.h call them.
// bench/clip_bench.cpp measures them; docs/benchmarks.md records the figures.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>

namespace clipscope::model::kernels {

/// Computes multi-head self-attention as torch.nn.MultiheadAttention does with batch_first=true,
/// need_weights=false and no dropout. x is float32 [B, L, D] on CPU; in_proj_weight is [3D, D] and
/// in_proj_bias [3D] (query, key, value stacked in that order); out_proj_weight is [D, D] and
/// out_proj_bias [D]. num_heads must divide D. attn_mask is an undefined tensor or an additive float
/// mask [L, L] (for example -inf above the diagonal for causal text attention). Returns [B, L, D].
/// Throws c10::Error naming the expected and actual shape when an argument does not fit.
torch::Tensor multi_head_self_attention(const torch::Tensor& x, const torch::Tensor& in_proj_weight,
                                        const torch::Tensor& in_proj_bias, const torch::Tensor& out_proj_weight,
                                        const torch::Tensor& out_proj_bias, int64_t num_heads,
                                        const torch::Tensor& attn_mask);

/// Computes the same output as multi_head_self_attention() and also returns the attention
/// probabilities averaged over heads, [B, L, L] (row = query, column = key), as
/// torch.nn.MultiheadAttention returns them with need_weights=true and average_attn_weights=true.
std::pair<torch::Tensor, torch::Tensor> multi_head_self_attention_with_weights(
    const torch::Tensor& x, const torch::Tensor& in_proj_weight, const torch::Tensor& in_proj_bias,
    const torch::Tensor& out_proj_weight, const torch::Tensor& out_proj_bias, int64_t num_heads,
    const torch::Tensor& attn_mask);

/// Applies QuickGELU, x * sigmoid(1.702 * x), the activation of OpenAI's CLIP checkpoints.
/// Overwrites x when it is a contiguous float32 tensor that does not require grad, and returns it;
/// otherwise returns a new tensor. Callers must not rely on x keeping its old values.
torch::Tensor quick_gelu(torch::Tensor x);

/// Applies GELU with the exact erf form, 0.5 * x * (1 + erf(x / sqrt(2))). May overwrite x like quick_gelu().
torch::Tensor gelu_erf(torch::Tensor x);

/// Applies GELU with the tanh approximation (torch.nn.functional.gelu with approximate="tanh").
/// May overwrite x like quick_gelu().
torch::Tensor gelu_tanh(torch::Tensor x);

/// Computes x @ weight^T + bias over the last dimension. x is [..., K], weight [N, K], bias [N] or
/// undefined. Returns [..., N]. Throws c10::Error when K or N do not match.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

}  // namespace clipscope::model::kernels
