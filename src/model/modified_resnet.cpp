#include "clipscope/model/modified_resnet.h"

#include <torch/torch.h>

#include <cmath>

namespace clipscope::model {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride) : stride(stride) {
  conv1 = register_module("conv1", conv(inplanes, planes, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  conv3 = register_module("conv3", conv(planes, planes * 4, 1));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(planes * 4));

  if (stride > 1 || inplanes != planes * 4) {
    downsample = torch::nn::Sequential();
    downsample->push_back("-1", torch::nn::AvgPool2d(stride));
    downsample->push_back("0", conv(inplanes, planes * 4, 1));
    downsample->push_back("1", torch::nn::BatchNorm2d(planes * 4));
    register_module("downsample", downsample);
  }
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1->forward(conv1->forward(x)));
  out = torch::relu(bn2->forward(conv2->forward(out)));
  if (stride > 1) out = torch::avg_pool2d(out, stride);
  out = bn3->forward(conv3->forward(out));

  auto identity = downsample ? downsample->forward(x) : x;
  return torch::relu(out + identity);
}

AttentionPool2dImpl::AttentionPool2dImpl(int64_t spacial_dim, int64_t embed_dim, int64_t heads, int64_t output_dim)
    : heads(heads) {
  TORCH_CHECK(heads > 0 && embed_dim % heads == 0, "attention pool width ", embed_dim,
              " is not a multiple of heads ", heads);
  positional_embedding =
      register_parameter("positional_embedding", torch::zeros({spacial_dim * spacial_dim + 1, embed_dim}));
  k_proj = register_module("k_proj", torch::nn::Linear(embed_dim, embed_dim));
  q_proj = register_module("q_proj", torch::nn::Linear(embed_dim, embed_dim));
  v_proj = register_module("v_proj", torch::nn::Linear(embed_dim, embed_dim));
  c_proj = register_module("c_proj", torch::nn::Linear(embed_dim, output_dim));
}

torch::Tensor AttentionPool2dImpl::forward(const torch::Tensor& x) {
  const int64_t batch = x.size(0);
  const int64_t channels = x.size(1);
  const int64_t head_dim = channels / heads;
  TORCH_CHECK(x.size(2) * x.size(3) + 1 == positional_embedding.size(0), "attention pool expects ",
              positional_embedding.size(0) - 1, " spatial positions, got ", x.sizes());

  // tokens: the spatial mean first, then every position
  auto tokens = x.flatten(2).permute({0, 2, 1});                        // [N, S*S, C]
  tokens = torch::cat({tokens.mean(1, /*keepdim=*/true), tokens}, 1);   // [N, T, C]
  tokens = tokens + positional_embedding.to(tokens.dtype());

  // the mean token queries all tokens
  auto split = [&](const torch::Tensor& t) { return t.view({batch, -1, heads, head_dim}).transpose(1, 2); };
  auto q = split(q_proj->forward(tokens.narrow(1, 0, 1))) * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  auto k = split(k_proj->forward(tokens));                              // [N, H, T, d]
  auto v = split(v_proj->forward(tokens));                              // [N, H, T, d]
  auto probabilities = torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1);  // [N, H, 1, T]
  auto pooled = torch::matmul(probabilities, v).transpose(1, 2).reshape({batch, channels});  // [N, C]
  return c_proj->forward(pooled);                                       // [N, E]
}

ModifiedResNetImpl::ModifiedResNetImpl(const VisionConfig& config, int64_t embed_dim) : config(config) {
  TORCH_CHECK(config.layers.size() == 4, "ModifiedResNet needs four stage depths, got ", config.layers.size());
  const int64_t width = config.width;

  // stem
  conv1 = register_module("conv1", conv(3, width / 2, 3, 2));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(width / 2));
  conv2 = register_module("conv2", conv(width / 2, width / 2, 3));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(width / 2));
  conv3 = register_module("conv3", conv(width / 2, width, 3));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(width));

  // residual stages
  int64_t inplanes = width;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t planes = width << stage;
    torch::nn::Sequential layer;
    for (int64_t i = 0; i < config.layers[stage]; ++i) {
      layer->push_back(Bottleneck(inplanes, planes, i == 0 && stage > 0 ? 2 : 1));
      inplanes = planes * 4;
    }
    stages.push_back(register_module("layer" + std::to_string(stage + 1), layer));
  }

  const int64_t pool_width = width * 32;
  attnpool = register_module(
      "attnpool", AttentionPool2d(config.image_size / 32, pool_width, config.heads(), embed_dim));
}

torch::Tensor ModifiedResNetImpl::forward(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == config.image_size &&
                  images.size(3) == config.image_size,
              "image batch must be [N, 3, ", config.image_size, ", ", config.image_size, "], got ", images.sizes());

  // stem
  auto x = torch::relu(bn1->forward(conv1->forward(images)));
  x = torch::relu(bn2->forward(conv2->forward(x)));
  x = torch::relu(bn3->forward(conv3->forward(x)));
  x = torch::avg_pool2d(x, 2);                     // [N, width, H/4, W/4]

  for (auto& stage : stages) {
    x = stage->forward(x);
  }                                                // [N, 32 * width, H/32, W/32]
  return attnpool->forward(x);                     // [N, E]
}

}  // namespace clipscope::model
