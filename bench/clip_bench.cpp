// Throughput of a full-size ViT-B/32-shaped CLIP on the CPU, in images/s and captions/s and in GFLOP/s.
// Each tower runs with clipscope's kernels (model/kernels.h) and as a plain LibTorch composition in the
// same process. The machine's measured fp32 FMA peak and a big GEMM serve as yardsticks.
// docs/benchmarks.md records the command and the figures.
//
// FLOP counts are analytic, 2 * M * N * K per matrix product (one multiply-add is two FLOPs):
//   transformer block over L tokens of width D: 24 * L * D^2 (q/k/v, output and the two 4D MLP
//   projections) + 4 * L^2 * D (q k^T and probabilities @ v),
//   image: 2 * P * (3 * p^2) * D for the patch embedding (P = 49 patches, p = 32) + 12 blocks at L = 50,
//   D = 768 + 2 * D * E for the projection to E = 512,
//   caption: 12 blocks at D = 512 and L = 77 (padded) or L = 12 (truncated after the end token)
//   + 2 * D * E for the projection.
// LayerNorm, softmax, activations and additions are left out of the count, so GFLOP/s slightly
// understates the work done.
#include "clipscope/model/clip.h"
#include "clipscope/model/config.h"

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <immintrin.h>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

namespace model = clipscope::model;
namespace F = torch::nn::functional;

// ViT-B/32 shapes, as in open_clip's ViT-B-32.json.
constexpr int64_t kImageSize = 224;
constexpr int64_t kPatchSize = 32;
constexpr int64_t kVisionWidth = 768;
constexpr int64_t kVisionHeads = 12;
constexpr int64_t kTextWidth = 512;
constexpr int64_t kTextHeads = 8;
constexpr int64_t kLayers = 12;
constexpr int64_t kContextLength = 77;
constexpr int64_t kVocabSize = 49408;
constexpr int64_t kEmbedDim = 512;
constexpr int64_t kEndTokenId = 49407;
constexpr int64_t kPatches = (kImageSize / kPatchSize) * (kImageSize / kPatchSize);
constexpr int64_t kTypicalCaptionTokens = 12;  // start token + about ten words + end token

// Implementation a tower benchmark runs.
enum class Implementation { kLibTorch, kKernels };

// Machine yardsticks

// Runs `iterations` steps of 16 independent FMA chains on 512-bit registers. Returns a value that
// depends on every chain, so the compiler keeps the loop.
__attribute__((target("avx512f"))) float fma_chains_avx512(int64_t iterations) {
  __m512 accumulators[16];
  for (int i = 0; i < 16; ++i) {
    accumulators[i] = _mm512_set1_ps(1.0f + static_cast<float>(i) * 1e-3f);
  }
  const __m512 multiplier = _mm512_set1_ps(0.9999999f);
  const __m512 addend = _mm512_set1_ps(1e-7f);
  for (int64_t step = 0; step < iterations; ++step) {
    for (int i = 0; i < 16; ++i) {
      accumulators[i] = _mm512_fmadd_ps(accumulators[i], multiplier, addend);
    }
  }
  __m512 sum = accumulators[0];
  for (int i = 1; i < 16; ++i) {
    sum = _mm512_add_ps(sum, accumulators[i]);
  }
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  float total = 0;
  for (float lane : lanes) {
    total += lane;
  }
  return total;
}

// Same as fma_chains_avx512() on 256-bit registers. Two FMA ports with 4-cycle latency need at least
// 8 independent chains, and 12 leave a margin.
__attribute__((target("avx2,fma"))) float fma_chains_avx2(int64_t iterations) {
  __m256 accumulators[12];
  for (int i = 0; i < 12; ++i) {
    accumulators[i] = _mm256_set1_ps(1.0f + static_cast<float>(i) * 1e-3f);
  }
  const __m256 multiplier = _mm256_set1_ps(0.9999999f);
  const __m256 addend = _mm256_set1_ps(1e-7f);
  for (int64_t step = 0; step < iterations; ++step) {
    for (int i = 0; i < 12; ++i) {
      accumulators[i] = _mm256_fmadd_ps(accumulators[i], multiplier, addend);
    }
  }
  __m256 sum = accumulators[0];
  for (int i = 1; i < 12; ++i) {
    sum = _mm256_add_ps(sum, accumulators[i]);
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  float total = 0;
  for (float lane : lanes) {
    total += lane;
  }
  return total;
}

// FLOPs one step of each loop performs: chains * lanes * 2.
constexpr double kFlopsPerStepAvx512 = 16 * 16 * 2;
constexpr double kFlopsPerStepAvx2 = 12 * 8 * 2;

// Returns the CPU seconds the calling thread has run.
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Measures the fp32 FMA rate of `threads` threads running the widest loop this CPU supports at the
// same time. Returns GFLOP/s summed over threads, each thread's FLOPs divided by its own CPU time,
// so time the scheduler gives to other processes does not lower the figure.
double measure_fma_gflops(int threads, bool* used_avx512) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (used_avx512 != nullptr) {
    *used_avx512 = avx512;
  }
  const int64_t iterations = avx512 ? 20'000'000 : 40'000'000;
  const double flops_per_step = avx512 ? kFlopsPerStepAvx512 : kFlopsPerStepAvx2;
  std::vector<float> sinks(threads);
  std::vector<double> rates(threads);
  double best = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const double start = thread_cpu_seconds();
        sinks[t] = avx512 ? fma_chains_avx512(iterations) : fma_chains_avx2(iterations);
        rates[t] = iterations * flops_per_step / (thread_cpu_seconds() - start) / 1e9;
      });
    }
    for (auto& worker : workers) {
      worker.join();
    }
    double total = 0;
    for (double rate : rates) {
      total += rate;
    }
    best = std::max(best, total);
  }
  benchmark::DoNotOptimize(sinks);
  return best;
}

// Measured FMA peak per thread count, filled by BM_FmaPeak or on first use.
std::map<int, double>& fma_peak_cache() {
  static std::map<int, double> cache;
  return cache;
}

double fma_peak_gflops(int threads) {
  auto& cache = fma_peak_cache();
  if (cache.count(threads) == 0) {
    cache[threads] = measure_fma_gflops(threads, nullptr);
  }
  return cache[threads];
}

void BM_FmaPeak(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  bool avx512 = false;
  double gflops = 0;
  for (auto _ : state) {
    gflops = measure_fma_gflops(threads, &avx512);
  }
  fma_peak_cache()[threads] = gflops;
  state.counters["GFLOP/s"] = gflops;
  state.counters["GFLOP/s_per_core"] = gflops / threads;
  state.SetLabel(avx512 ? "AVX-512 FMA" : "AVX2 FMA");
}
BENCHMARK(BM_FmaPeak)->ArgName("threads")->Arg(1)->Arg(2)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// Returns "OpenBLAS <core>, <n> threads" as the loaded OpenBLAS reports it, or "BLAS is not OpenBLAS".
// The functions are looked up at run time so the benchmark links without OpenBLAS.
std::string blas_description() {
  auto* corename = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  auto* num_threads = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (corename == nullptr || num_threads == nullptr) {
    return "BLAS is not OpenBLAS";
  }
  return std::string("OpenBLAS ") + corename() + ", " + std::to_string(num_threads()) + " threads";
}

// Process CPU seconds, all threads together.
double process_cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

void BM_BigGemm(benchmark::State& state) {
  const int64_t size = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  auto a = torch::randn({size, size});
  auto b = torch::randn({size, size});
  auto c = torch::empty({size, size});
  torch::mm_out(c, a, b);  // warm-up

  double seconds = 0;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    torch::mm_out(c, a, b);
    benchmark::DoNotOptimize(c.data_ptr());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const double gflops = 2.0 * size * size * size * static_cast<double>(state.iterations()) / seconds / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["peak_fraction"] = gflops / fma_peak_gflops(threads);
  // About 1 per thread when the BLAS follows torch::set_num_threads and the machine is otherwise idle.
  const double cpu_seconds = process_cpu_seconds() - cpu_start;
  state.counters["cores_busy"] = cpu_seconds / seconds;
  state.counters["cpu_peak_fraction"] = 2.0 * size * size * size * static_cast<double>(state.iterations()) /
                                        1e9 / cpu_seconds / (fma_peak_gflops(threads) / threads);
  state.SetLabel(blas_description());
}
BENCHMARK(BM_BigGemm)
    ->ArgNames({"size", "threads"})
    ->Args({2048, 1})
    ->Args({2048, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A ViT-B/32-shaped model::CLIP with random weights. The kernels path runs its encode_image() and
// encode_text(). The LibTorch baseline reads the same parameters by their open_clip names and runs
// them through a plain composition, so both paths compute the same function.

model::CLIP& clip_model() {
  static model::CLIP clip = [] {
    model::ModelConfig config;
    config.embed_dim = kEmbedDim;
    config.activation = model::Activation::kQuickGELU;
    model::VisionConfig vision;
    vision.image_size = kImageSize;
    vision.patch_size = kPatchSize;
    vision.width = kVisionWidth;
    vision.head_width = kVisionWidth / kVisionHeads;
    vision.layers = {kLayers};
    config.vision_cfg = vision;
    model::TextConfig text;
    text.context_length = kContextLength;
    text.vocab_size = kVocabSize;
    text.width = kTextWidth;
    text.heads = kTextHeads;
    text.layers = kLayers;
    config.text_cfg = text;

    model::CLIP built(config);
    built->eval();
    torch::NoGradGuard no_grad;
    torch::manual_seed(0);
    for (auto& parameter : built->named_parameters()) {
      const auto& name = parameter.key();
      const bool is_norm_scale = name.find("ln_") != std::string::npos && name.ends_with(".weight");
      if (is_norm_scale) {
        parameter.value().fill_(1.0);
      } else {
        parameter.value().normal_(0.0, 0.02);
      }
    }
    return built;
  }();
  return clip;
}

struct BlockWeights {
  torch::Tensor ln_1_weight, ln_1_bias;
  torch::Tensor in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias;
  torch::Tensor ln_2_weight, ln_2_bias;
  torch::Tensor c_fc_weight, c_fc_bias, c_proj_weight, c_proj_bias;
};

struct TowerWeights {
  int64_t heads = 0;
  std::vector<BlockWeights> resblocks;
};

// Parameters of clip_model() by open_clip name, for the LibTorch baseline.
struct ModelWeights {
  // image tower
  torch::Tensor conv1_weight;                 // [D, 3, p, p]
  torch::Tensor class_embedding;              // [D]
  torch::Tensor visual_positional_embedding;  // [1 + P, D]
  torch::Tensor ln_pre_weight, ln_pre_bias, ln_post_weight, ln_post_bias;
  torch::Tensor visual_proj;  // [D, E]
  TowerWeights visual;

  // text tower
  torch::Tensor token_embedding;       // [V, D]
  torch::Tensor positional_embedding;  // [77, D]
  torch::Tensor ln_final_weight, ln_final_bias;
  torch::Tensor text_projection;  // [D, E]
  torch::Tensor causal_mask;      // [77, 77]
  TowerWeights text;
};

TowerWeights tower_weights(const torch::OrderedDict<std::string, torch::Tensor>& parameters, const std::string& prefix,
                           int64_t heads) {
  TowerWeights tower{heads, {}};
  for (int64_t layer = 0; layer < kLayers; ++layer) {
    const std::string block = prefix + "transformer.resblocks." + std::to_string(layer) + ".";
    auto at = [&](const std::string& name) { return parameters[block + name]; };
    tower.resblocks.push_back({at("ln_1.weight"), at("ln_1.bias"), at("attn.in_proj_weight"), at("attn.in_proj_bias"),
                               at("attn.out_proj.weight"), at("attn.out_proj.bias"), at("ln_2.weight"),
                               at("ln_2.bias"), at("mlp.c_fc.weight"), at("mlp.c_fc.bias"), at("mlp.c_proj.weight"),
                               at("mlp.c_proj.bias")});
  }
  return tower;
}

const ModelWeights& model_weights() {
  static const ModelWeights weights = [] {
    auto& clip = clip_model();
    const auto parameters = clip->named_parameters();
    ModelWeights w;
    w.conv1_weight = parameters["visual.conv1.weight"];
    w.class_embedding = parameters["visual.class_embedding"];
    w.visual_positional_embedding = parameters["visual.positional_embedding"];
    w.ln_pre_weight = parameters["visual.ln_pre.weight"];
    w.ln_pre_bias = parameters["visual.ln_pre.bias"];
    w.ln_post_weight = parameters["visual.ln_post.weight"];
    w.ln_post_bias = parameters["visual.ln_post.bias"];
    w.visual_proj = parameters["visual.proj"];
    w.visual = tower_weights(parameters, "visual.", kVisionHeads);

    w.token_embedding = parameters["token_embedding.weight"];
    w.positional_embedding = parameters["positional_embedding"];
    w.ln_final_weight = parameters["ln_final.weight"];
    w.ln_final_bias = parameters["ln_final.bias"];
    w.text_projection = parameters["text_projection"];
    w.causal_mask = clip->attn_mask;
    w.text = tower_weights(parameters, "", kTextHeads);
    return w;
  }();
  return weights;
}

// Residual block as plain LibTorch, sequence first as open_clip runs nn.MultiheadAttention. x is [L, B, D].
torch::Tensor block_with_libtorch(const torch::Tensor& x, const BlockWeights& w, int64_t heads,
                                  const torch::Tensor& mask) {
  const int64_t width = x.size(2);
  auto normed = F::layer_norm(x, F::LayerNormFuncOptions({width}).weight(w.ln_1_weight).bias(w.ln_1_bias));
  auto options = F::MultiheadAttentionForwardFuncOptions(width, heads, w.in_proj_weight, w.in_proj_bias,
                                                         torch::Tensor(), torch::Tensor(), false, 0.0,
                                                         w.out_proj_weight, w.out_proj_bias)
                     .training(false)
                     .need_weights(false);
  if (mask.defined()) {
    options = options.attn_mask(mask);
  }
  auto y = x + std::get<0>(F::multi_head_attention_forward(normed, normed, normed, options));

  normed = F::layer_norm(y, F::LayerNormFuncOptions({width}).weight(w.ln_2_weight).bias(w.ln_2_bias));
  auto hidden = F::linear(normed, w.c_fc_weight, w.c_fc_bias);
  hidden = hidden * torch::sigmoid(1.702 * hidden);
  return y + F::linear(hidden, w.c_proj_weight, w.c_proj_bias);
}

// Encodes images [N, 3, 224, 224] into [N, E] through the whole image tower.
torch::Tensor encode_images(const torch::Tensor& images, Implementation implementation) {
  if (implementation == Implementation::kKernels) {
    return clip_model()->encode_image(images);
  }
  const auto& w = model_weights();
  const int64_t batch = images.size(0);
  auto patches = at::conv2d(images, w.conv1_weight, torch::Tensor(), kPatchSize);  // [N, D, 7, 7]
  patches = patches.flatten(2).transpose(1, 2);                         // [N, P, D]
  auto tokens = torch::cat({w.class_embedding.expand({batch, 1, kVisionWidth}), patches}, /*dim=*/1);  // [N, 1 + P, D]
  tokens = tokens + w.visual_positional_embedding;
  tokens = at::layer_norm(tokens, {kVisionWidth}, w.ln_pre_weight, w.ln_pre_bias, 1e-5);

  tokens = tokens.transpose(0, 1);  // [1 + P, N, D]
  for (const auto& block : w.visual.resblocks) {
    tokens = block_with_libtorch(tokens, block, w.visual.heads, torch::Tensor());
  }
  tokens = tokens.transpose(0, 1);  // [N, 1 + P, D]

  auto pooled = at::layer_norm(tokens.select(1, 0), {kVisionWidth}, w.ln_post_weight, w.ln_post_bias, 1e-5);
  return pooled.mm(w.visual_proj);  // [N, E]
}

// Encodes token ids [N, L] (each row ending in the end token) into [N, E] through the text tower.
torch::Tensor encode_texts(const torch::Tensor& ids, Implementation implementation) {
  if (implementation == Implementation::kKernels) {
    return clip_model()->encode_text(ids);
  }
  const auto& w = model_weights();
  const int64_t length = ids.size(1);
  auto mask = w.causal_mask.narrow(0, 0, length).narrow(1, 0, length);
  auto tokens = w.token_embedding.index_select(0, ids.flatten()).view({ids.size(0), length, kTextWidth});
  tokens = tokens + w.positional_embedding.narrow(0, 0, length);

  tokens = tokens.transpose(0, 1);  // [L, N, D]
  for (const auto& block : w.text.resblocks) {
    tokens = block_with_libtorch(tokens, block, w.text.heads, mask.contiguous());
  }
  tokens = tokens.transpose(0, 1);  // [N, L, D]

  tokens = at::layer_norm(tokens, {kTextWidth}, w.ln_final_weight, w.ln_final_bias, 1e-5);
  auto end_positions = ids.argmax(-1);
  auto pooled = tokens.index({torch::arange(ids.size(0)), end_positions});  // [N, D]
  return pooled.mm(w.text_projection);                                   // [N, E]
}

double block_flops(int64_t length, int64_t width) {
  return 24.0 * length * width * width + 4.0 * length * length * width;
}

double image_flops() {
  return 2.0 * kPatches * (3 * kPatchSize * kPatchSize) * kVisionWidth + kLayers * block_flops(1 + kPatches, kVisionWidth) +
         2.0 * kVisionWidth * kEmbedDim;
}

double caption_flops(int64_t length) {
  return kLayers * block_flops(length, kTextWidth) + 2.0 * kTextWidth * kEmbedDim;
}

// Rate of the LibTorch baseline per (tower, tokens, threads), so the kernel run that follows it can
// report its speedup. Benchmarks run in registration order, so the baseline is always measured first.
std::map<std::tuple<std::string, int64_t, int>, double>& baseline_rates() {
  static std::map<std::tuple<std::string, int64_t, int>, double> rates;
  return rates;
}

// Sets items/s, GFLOP/s, the fraction of the measured FMA peak and, for the kernels, the speedup
// over the baseline measured earlier in the run. cpu_peak_fraction divides the FLOPs by the process
// CPU time instead of wall time, which estimates the efficiency while running on a shared machine
// (threads that spin while waiting count as busy, so it errs low).
void report_rates(benchmark::State& state, const std::string& tower, int64_t tokens, int threads, int64_t batch,
                  double flops_per_item, Implementation implementation, double seconds, double cpu_seconds) {
  const double items = static_cast<double>(state.iterations() * batch);
  const double items_per_second = items / seconds;
  const double gflops = items_per_second * flops_per_item / 1e9;
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["GFLOP/s"] = gflops;
  state.counters["peak_fraction"] = gflops / fma_peak_gflops(threads);
  state.counters["cores_busy"] = cpu_seconds / seconds;
  state.counters["cpu_peak_fraction"] = items * flops_per_item / 1e9 / cpu_seconds / (fma_peak_gflops(threads) / threads);
  const auto key = std::make_tuple(tower, tokens, threads);
  if (implementation == Implementation::kLibTorch) {
    baseline_rates()[key] = items_per_second;
    state.SetLabel("libtorch");
  } else {
    state.SetLabel("kernels");
    if (baseline_rates().count(key) != 0) {
      state.counters["vs_libtorch"] = items_per_second / baseline_rates()[key];
    }
  }
}

// Returns true when the two paths' embeddings agree to float32 rounding over 12 layers. Otherwise
// marks the benchmark as failed, because a speedup of a wrong result means nothing.
bool paths_agree(const torch::Tensor& output, const torch::Tensor& reference, benchmark::State& state) {
  if (torch::allclose(output, reference, /*rtol=*/1e-3, /*atol=*/1e-4)) {
    return true;
  }
  const double difference = (output - reference).abs().max().item<double>();
  state.SkipWithError(("kernels and LibTorch baseline disagree, max abs difference " + std::to_string(difference)).c_str());
  return false;
}

void BM_EncodeImages(benchmark::State& state) {
  const auto implementation = static_cast<Implementation>(state.range(0));
  const int64_t batch = state.range(1);
  const int threads = static_cast<int>(state.range(2));
  torch::set_num_threads(threads);
  torch::InferenceMode inference;
  torch::manual_seed(1);
  auto images = torch::randn({batch, 3, kImageSize, kImageSize});
  if (!paths_agree(encode_images(images, implementation), encode_images(images, Implementation::kLibTorch), state)) {
    return;
  }

  double seconds = 0;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto embeddings = encode_images(images, implementation);
    benchmark::DoNotOptimize(embeddings.data_ptr());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  report_rates(state, "image", 1 + kPatches, threads, batch, image_flops(), implementation, seconds,
               process_cpu_seconds() - cpu_start);
}

void BM_EncodeCaptions(benchmark::State& state) {
  const auto implementation = static_cast<Implementation>(state.range(0));
  const int64_t batch = state.range(1);
  const int threads = static_cast<int>(state.range(2));
  const int64_t length = state.range(3);
  torch::set_num_threads(threads);
  torch::InferenceMode inference;
  torch::manual_seed(2);
  // Random ids, the end token at the caption's last position, then zero padding up to `length`.
  auto ids = torch::zeros({batch, length}, torch::kLong);
  const int64_t caption_tokens = std::min(length, kTypicalCaptionTokens);
  ids.narrow(1, 0, caption_tokens).copy_(torch::randint(1, kEndTokenId - 1, {batch, caption_tokens}));
  ids.select(1, caption_tokens - 1).fill_(kEndTokenId);
  if (!paths_agree(encode_texts(ids, implementation), encode_texts(ids, Implementation::kLibTorch), state)) {
    return;
  }

  double seconds = 0;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto embeddings = encode_texts(ids, implementation);
    benchmark::DoNotOptimize(embeddings.data_ptr());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  report_rates(state, "text", length, threads, batch, caption_flops(length), implementation, seconds,
               process_cpu_seconds() - cpu_start);
}

constexpr int64_t kLibTorch = static_cast<int64_t>(Implementation::kLibTorch);
constexpr int64_t kKernels = static_cast<int64_t>(Implementation::kKernels);
constexpr int64_t kImageBatch = 16;
constexpr int64_t kCaptionBatch = 32;

void image_arguments(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"impl", "batch", "threads"});
  for (int64_t threads : {1, 2}) {
    for (int64_t implementation : {kLibTorch, kKernels}) {
      benchmark->Args({implementation, kImageBatch, threads});
    }
  }
}

void caption_arguments(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"impl", "batch", "threads", "tokens"});
  for (int64_t length : {kContextLength, kTypicalCaptionTokens}) {
    for (int64_t threads : {1, 2}) {
      for (int64_t implementation : {kLibTorch, kKernels}) {
        benchmark->Args({implementation, kCaptionBatch, threads, length});
      }
    }
  }
}

BENCHMARK(BM_EncodeImages)->Apply(image_arguments)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeCaptions)->Apply(caption_arguments)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
