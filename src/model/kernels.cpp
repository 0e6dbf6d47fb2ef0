#include "clipscope/model/kernels.h"

#include <torch/torch.h>

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace clipscope::model::kernels {
namespace {

void check_attention_arguments(const torch::Tensor& x, const torch::Tensor& in_proj_weight,
                               const torch::Tensor& in_proj_bias, const torch::Tensor& out_proj_weight,
                               const torch::Tensor& out_proj_bias, int64_t num_heads,
                               const torch::Tensor& attn_mask) {
  TORCH_CHECK(x.dim() == 3, "attention input must be [B, L, D], got shape ", x.sizes());
  const int64_t length = x.size(1);
  const int64_t width = x.size(2);
  TORCH_CHECK(num_heads > 0 && width % num_heads == 0, "attention width ", width,
              " must be a multiple of num_heads, got num_heads = ", num_heads);
  TORCH_CHECK(in_proj_weight.sizes() == torch::IntArrayRef({3 * width, width}),
              "in_proj_weight must be [3D, D] = [", 3 * width, ", ", width, "], got ", in_proj_weight.sizes());
  TORCH_CHECK(in_proj_bias.sizes() == torch::IntArrayRef({3 * width}), "in_proj_bias must be [3D] = [",
              3 * width, "], got ", in_proj_bias.sizes());
  TORCH_CHECK(out_proj_weight.sizes() == torch::IntArrayRef({width, width}), "out_proj_weight must be [D, D] = [",
              width, ", ", width, "], got ", out_proj_weight.sizes());
  TORCH_CHECK(out_proj_bias.sizes() == torch::IntArrayRef({width}), "out_proj_bias must be [D] = [", width,
              "], got ", out_proj_bias.sizes());
  if (attn_mask.defined()) {
    TORCH_CHECK(attn_mask.sizes() == torch::IntArrayRef({length, length}), "attn_mask must be [L, L] = [",
                length, ", ", length, "], got ", attn_mask.sizes());
    TORCH_CHECK(attn_mask.is_floating_point(), "attn_mask must be an additive float mask, got dtype ",
                attn_mask.scalar_type());
  }
}

// Returns true when autograd must record the attention: the fast path below writes into
// preallocated tensors from worker threads, which autograd cannot follow.
bool needs_autograd(std::initializer_list<torch::Tensor> tensors) {
  if (!torch::GradMode::is_enabled()) {
    return false;
  }
  return std::any_of(tensors.begin(), tensors.end(), [](const torch::Tensor& t) { return t.requires_grad(); });
}

// The same attention from differentiable batched ops, for training.
std::pair<torch::Tensor, torch::Tensor> differentiable_attention(
    const torch::Tensor& x, const torch::Tensor& in_proj_weight, const torch::Tensor& in_proj_bias,
    const torch::Tensor& out_proj_weight, const torch::Tensor& out_proj_bias, int64_t num_heads,
    const torch::Tensor& attn_mask, bool need_weights) {
  const int64_t batch = x.size(0);
  const int64_t length = x.size(1);
  const int64_t width = x.size(2);
  const int64_t head_dim = width / num_heads;
  auto qkv = torch::nn::functional::linear(x, in_proj_weight, in_proj_bias);  // [B, L, 3D]
  auto heads = qkv.view({batch, length, 3, num_heads, head_dim}).permute({2, 0, 3, 1, 4});  // [3, B, H, L, d]
  auto q = heads[0] * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  auto scores = torch::matmul(q, heads[1].transpose(-2, -1));  // [B, H, L, L]
  if (attn_mask.defined()) {
    scores = scores + attn_mask.to(scores.scalar_type());
  }
  auto probabilities = torch::softmax(scores, -1);
  auto context = torch::matmul(probabilities, heads[2]).permute({0, 2, 1, 3}).reshape({batch, length, width});
  auto output = torch::nn::functional::linear(context, out_proj_weight, out_proj_bias);  // [B, L, D]
  torch::Tensor averaged;
  if (need_weights) {
    averaged = probabilities.mean(1);  // [B, L, L]
  }
  return {output, averaged};
}

// Returns the attention output [B, L, D] and, when requested, the head-averaged probabilities [B, L, L].
//
// The input projection and the output projection each run as one GEMM over all B * L rows. The
// per-head work (scores, softmax, weighted sum of values) runs in at::parallel_for over (batch, head)
// pairs, reading q, k and v as strided column blocks of the packed projection, so no head is copied
// or transposed. Batched matmul (bmm) on such small matrices would run on one thread.
std::pair<torch::Tensor, torch::Tensor> attention(const torch::Tensor& x, const torch::Tensor& in_proj_weight,
                                                  const torch::Tensor& in_proj_bias,
                                                  const torch::Tensor& out_proj_weight,
                                                  const torch::Tensor& out_proj_bias, int64_t num_heads,
                                                  const torch::Tensor& attn_mask, bool need_weights) {
  check_attention_arguments(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, attn_mask);
  if (needs_autograd({x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias})) {
    return differentiable_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads,
                                    attn_mask, need_weights);
  }
  const int64_t batch = x.size(0);
  const int64_t length = x.size(1);
  const int64_t width = x.size(2);
  const int64_t head_dim = width / num_heads;
  // NOTE: PyTorch scales q by 1 / sqrt(head_dim) before q k^T, and this kernel scales the product.
  // The two differ only by float32 rounding, and kernels_test.cpp checks both against float64 at 1e-5.
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));

  auto qkv = at::addmm(in_proj_bias, x.reshape({batch * length, width}), in_proj_weight.t());  // [B*L, 3D]
  auto options = qkv.options();
  auto scores = at::empty({batch, num_heads, length, length}, options);         // [B, H, L, L]
  auto probabilities = at::empty({batch, num_heads, length, length}, options);  // [B, H, L, L]
  auto context = at::empty({batch * length, width}, options);                   // [B*L, D]
  torch::Tensor mask;
  if (attn_mask.defined()) {
    mask = attn_mask.to(options.dtype()).contiguous();
  }

  // Worker threads do not inherit thread-local state such as InferenceMode, so carry the caller's over.
  const at::ThreadLocalState caller_state;
  at::parallel_for(0, batch * num_heads, 1, [&](int64_t begin, int64_t end) {
    at::ThreadLocalStateGuard state_guard(caller_state);
    for (int64_t index = begin; index < end; ++index) {
      const int64_t b = index / num_heads;
      const int64_t h = index % num_heads;
      auto rows = qkv.narrow(0, b * length, length);           // [L, 3D]
      auto q = rows.narrow(1, h * head_dim, head_dim);          // [L, d]
      auto k = rows.narrow(1, width + h * head_dim, head_dim);  // [L, d]
      auto v = rows.narrow(1, 2 * width + h * head_dim, head_dim);
      auto head_scores = scores.select(0, b).select(0, h);  // [L, L]
      auto head_probabilities = probabilities.select(0, b).select(0, h);

      if (mask.defined()) {
        at::addmm_out(head_scores, mask, q, k.t(), /*beta=*/1.0, /*alpha=*/scale);
      } else {
        at::mm_out(head_scores, q, k.t());
        head_scores.mul_(scale);
      }
      at::_softmax_out(head_probabilities, head_scores, /*dim=*/1, /*half_to_float=*/false);
      auto head_context = context.narrow(0, b * length, length).narrow(1, h * head_dim, head_dim);  // [L, d]
      at::mm_out(head_context, head_probabilities, v);
    }
  });

  auto output = at::addmm(out_proj_bias, context, out_proj_weight.t()).view({batch, length, width});
  torch::Tensor averaged;
  if (need_weights) {
    averaged = probabilities.mean(1);  // [B, L, L]
  }
  return {output, averaged};
}

// Returns true when an activation may overwrite x: float32, contiguous and outside autograd.
bool can_update_in_place(const torch::Tensor& x) {
  return x.scalar_type() == torch::kFloat32 && x.is_contiguous() && !x.requires_grad();
}

// Elements per QuickGELU chunk: 128 KiB of float32, so the chunk and its scratch copy stay in L2
// between the three passes.
constexpr int64_t kActivationChunk = 32 * 1024;

}  // namespace

torch::Tensor multi_head_self_attention(const torch::Tensor& x, const torch::Tensor& in_proj_weight,
                                        const torch::Tensor& in_proj_bias, const torch::Tensor& out_proj_weight,
                                        const torch::Tensor& out_proj_bias, int64_t num_heads,
                                        const torch::Tensor& attn_mask) {
  return attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, attn_mask, false)
      .first;
}

std::pair<torch::Tensor, torch::Tensor> multi_head_self_attention_with_weights(
    const torch::Tensor& x, const torch::Tensor& in_proj_weight, const torch::Tensor& in_proj_bias,
    const torch::Tensor& out_proj_weight, const torch::Tensor& out_proj_bias, int64_t num_heads,
    const torch::Tensor& attn_mask) {
  return attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads, attn_mask, true);
}

torch::Tensor quick_gelu(torch::Tensor x) {
  if (!can_update_in_place(x)) {
    return x * torch::sigmoid(1.702 * x);
  }
  // Three vectorised ATen passes per chunk (scale, sigmoid, multiply) while the chunk is in cache,
  // in place of three passes over the whole tensor and two full-size temporaries.
  auto flat = x.view({-1});
  const at::ThreadLocalState caller_state;
  at::parallel_for(0, flat.numel(), kActivationChunk, [&](int64_t begin, int64_t end) {
    at::ThreadLocalStateGuard state_guard(caller_state);
    auto scratch = at::empty({std::min(kActivationChunk, end - begin)}, x.options());
    for (int64_t start = begin; start < end; start += kActivationChunk) {
      const int64_t count = std::min(kActivationChunk, end - start);
      auto chunk = flat.narrow(0, start, count);
      auto gate = scratch.narrow(0, 0, count);
      at::mul_out(gate, chunk, at::scalar_tensor(1.702, x.options()));
      gate.sigmoid_();
      chunk.mul_(gate);
    }
  });
  return x;
}

torch::Tensor gelu_erf(torch::Tensor x) {
  if (!can_update_in_place(x)) {
    return torch::gelu(x);
  }
  return at::gelu_(x);
}

torch::Tensor gelu_tanh(torch::Tensor x) {
  if (!can_update_in_place(x)) {
    return torch::gelu(x, "tanh");
  }
  return at::gelu_(x, "tanh");
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() >= 1, "linear input must have at least one dimension, got a scalar");
  TORCH_CHECK(weight.dim() == 2 && weight.size(1) == x.size(-1), "linear weight must be [N, K] with K = ",
              x.size(-1), " (the input's last dimension), got ", weight.sizes());
  TORCH_CHECK(!bias.defined() || bias.sizes() == torch::IntArrayRef({weight.size(0)}), "linear bias must be [N] = [",
              weight.size(0), "], got ", bias.sizes());
  // One GEMM over all leading dimensions, with the bias folded in as addmm's beta term.
  auto rows = x.reshape({-1, x.size(-1)});  // [M, K]
  auto output = bias.defined() ? at::addmm(bias, rows, weight.t()) : at::mm(rows, weight.t());  // [M, N]
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = weight.size(0);
  return output.view(shape);
}

}  // namespace clipscope::model::kernels
