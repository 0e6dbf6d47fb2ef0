#include "clipscope/model/clip.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <string>

#include "clipscope/io/checkpoint.h"
#include "clipscope/io/key_map.h"
#include "clipscope/io/npy_tensor.h"
#include "clipscope/model/loader.h"
#include "test_support.h"

namespace clipscope::model {
namespace {

using clipscope::testing::shared_path;

// The fixtures README states that a correct fp32 implementation differs from open_clip by about
// 1e-5 on features; 1e-4 leaves room for a different BLAS summation order.
constexpr double kFeatureTolerance = 1e-4;

const std::filesystem::path kOpenClipFixtures = "fixtures/open_clip-2.30.0";
const std::filesystem::path kHfFixtures = "fixtures/hf-format";

// Normalises uint8 RGB crops [N, H, W, 3] with OpenAI's mean and std into float32 [N, 3, H, W].
torch::Tensor normalize_crops(const torch::Tensor& crops) {
  auto mean = torch::tensor({0.48145466f, 0.4578275f, 0.40821073f}).view({1, 3, 1, 1});
  auto std = torch::tensor({0.26862954f, 0.26130258f, 0.27577711f}).view({1, 3, 1, 1});
  auto x = crops.permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0f;
  return ((x - mean) / std).contiguous();
}

struct Inputs {
  torch::Tensor pixels;  // [93, 3, 224, 224]
  torch::Tensor tokens;  // [431, 77]
};

const Inputs& fixture_inputs() {
  static const Inputs inputs = [] {
    Inputs loaded;
    loaded.pixels =
        normalize_crops(io::read_npy_tensor(shared_path((kOpenClipFixtures / "images.crops_uint8.npy").string())));
    loaded.tokens = io::read_npy_tensor(shared_path((kOpenClipFixtures / "captions.tokens.npy").string()));
    return loaded;
  }();
  return inputs;
}

double max_abs_difference(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  return (a - b).abs().max().item<double>();
}

void expect_features_match(LoadedModel& loaded, const std::filesystem::path& folder) {
  torch::NoGradGuard no_grad;
  const auto& inputs = fixture_inputs();
  auto expected_image = io::read_npy_tensor(folder / "image_features.npy");
  auto expected_text = io::read_npy_tensor(folder / "text_features.npy");

  auto image = loaded.model->encode_image(inputs.pixels);
  auto text = loaded.model->encode_text(inputs.tokens);
  EXPECT_LT(max_abs_difference(image, expected_image), kFeatureTolerance) << folder;
  EXPECT_LT(max_abs_difference(text, expected_text), kFeatureTolerance) << folder;
}

class OpenClipFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenClipFixture, FeaturesMatchOpenClipFromSafetensors) {
  auto folder = shared_path((kOpenClipFixtures / GetParam()).string());
  auto loaded = load_model(folder);
  EXPECT_EQ(loaded.source_format, "open_clip");
  EXPECT_EQ(loaded.weights_path.filename(), "open_clip_model.safetensors");
  expect_features_match(loaded, folder);
}

TEST_P(OpenClipFixture, ParameterNamesAndShapesEqualCheckpointKeys) {
  auto folder = shared_path((kOpenClipFixtures / GetParam()).string());
  auto checkpoint = io::read_checkpoint(folder / "open_clip_model.safetensors");
  auto loaded = load_model(folder);

  std::map<std::string, std::vector<int64_t>> model_shapes;
  for (const auto& item : loaded.model->named_parameters()) model_shapes[item.key()] = item.value().sizes().vec();
  for (const auto& item : loaded.model->named_buffers()) model_shapes[item.key()] = item.value().sizes().vec();
  std::map<std::string, std::vector<int64_t>> checkpoint_shapes;
  for (const auto& [key, tensor] : checkpoint.tensors) checkpoint_shapes[key] = tensor.sizes().vec();
  EXPECT_EQ(model_shapes, checkpoint_shapes);

  // Parameters alone are the checkpoint minus the BatchNorm running statistics.
  for (const auto& item : loaded.model->named_parameters()) {
    EXPECT_TRUE(checkpoint.tensors.count(item.key())) << item.key();
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, OpenClipFixture,
                         ::testing::Values("vit-tiny-quickgelu", "vit-tiny-gelu-p16", "rn-tiny-quickgelu"));

TEST(CLIP, FeaturesMatchOpenClipFromTorchZip) {
  auto folder = shared_path((kOpenClipFixtures / "vit-tiny-gelu-p16").string());
  auto loaded = load_model(folder / "open_clip_pytorch_model.bin");
  EXPECT_EQ(loaded.checkpoint_format, "pytorch-zip");
  EXPECT_EQ(loaded.config_path.filename(), "open_clip_config.json");
  EXPECT_EQ(loaded.config().activation, Activation::kGELU);
  EXPECT_EQ(loaded.weights_dtype, "float16");
  expect_features_match(loaded, folder);
}

TEST(CLIP, ActivationsComeFromConfig) {
  EXPECT_EQ(load_model(shared_path((kOpenClipFixtures / "vit-tiny-quickgelu").string())).config().activation,
            Activation::kQuickGELU);
  EXPECT_EQ(load_model(shared_path((kOpenClipFixtures / "rn-tiny-quickgelu").string())).weights_dtype, "bfloat16");
  EXPECT_EQ(load_model(shared_path((kHfFixtures / "vit-tiny-gelu-p16").string())).config().activation,
            Activation::kGELU);
  EXPECT_EQ(load_model(shared_path((kHfFixtures / "vit-tiny-quickgelu").string())).config().activation,
            Activation::kQuickGELU);
}

class HfFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(HfFixture, FeaturesMatchTransformers) {
  auto folder = shared_path((kHfFixtures / GetParam()).string());
  auto loaded = load_model(folder);
  EXPECT_EQ(loaded.source_format, "hf");
  EXPECT_EQ(loaded.preprocess, "hf");
  EXPECT_EQ(loaded.tokenizer.vocab_json, folder / "vocab.json");
  expect_features_match(loaded, folder);
}

TEST_P(HfFixture, ParameterNamesEqualRenamedCheckpointKeys) {
  auto folder = shared_path((kHfFixtures / GetParam()).string());
  auto checkpoint = io::read_checkpoint(folder / "model.safetensors");
  auto renamed = io::hf_to_open_clip(checkpoint.tensors, checkpoint.path);
  auto loaded = load_model(folder);

  std::map<std::string, std::vector<int64_t>> model_shapes;
  for (const auto& item : loaded.model->named_parameters()) model_shapes[item.key()] = item.value().sizes().vec();
  std::map<std::string, std::vector<int64_t>> checkpoint_shapes;
  for (const auto& [key, tensor] : renamed) checkpoint_shapes[key] = tensor.sizes().vec();
  EXPECT_EQ(model_shapes, checkpoint_shapes);
}

INSTANTIATE_TEST_SUITE_P(BothModels, HfFixture, ::testing::Values("vit-tiny-quickgelu", "vit-tiny-gelu-p16"));

TEST(CLIP, ShortTokenRowsGiveSameFeaturesAsPadded) {
  torch::NoGradGuard no_grad;
  auto loaded = load_model(shared_path((kOpenClipFixtures / "vit-tiny-quickgelu").string()));
  auto tokens = fixture_inputs().tokens.narrow(0, 0, 8);
  auto padded = loaded.model->encode_text(tokens);
  auto end = tokens.argmax(-1).max().item<int64_t>();
  auto trimmed = loaded.model->encode_text(tokens.narrow(1, 0, end + 1).contiguous());
  EXPECT_LT(max_abs_difference(padded, trimmed), 1e-5);
}

TEST(CLIP, ClassTokenAttentionIsDistributionOverTokens) {
  torch::NoGradGuard no_grad;
  auto loaded = load_model(shared_path((kOpenClipFixtures / "vit-tiny-gelu-p16").string()));
  auto pixels = fixture_inputs().pixels.narrow(0, 0, 2);
  auto attention = loaded.model->visual_vit->class_token_attention(pixels, 2);
  ASSERT_EQ(attention.sizes(), torch::IntArrayRef({2, 1 + 14 * 14}));
  EXPECT_TRUE(torch::allclose(attention.sum(-1), torch::ones({2}), 1e-5, 1e-5));
  EXPECT_THROW(loaded.model->visual_vit->class_token_attention(pixels, 3), c10::Error);
}

TEST(CLIP, RejectsWrongImageShape) {
  auto loaded = load_model(shared_path((kOpenClipFixtures / "vit-tiny-quickgelu").string()));
  EXPECT_THROW(loaded.model->encode_image(torch::zeros({1, 3, 100, 100})), c10::Error);
  EXPECT_THROW(loaded.model->encode_text(torch::zeros({1, 78}, torch::kInt64)), c10::Error);
}

}  // namespace
}  // namespace clipscope::model
