#include "clipscope/model/config.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/io/checkpoint.h"
#include "test_support.h"

namespace clipscope::model {
namespace {

using clipscope::testing::shared_path;

ModelConfig open_clip_fixture_config(const std::string& name) {
  auto file = shared_path("fixtures/open_clip-2.30.0/" + name + "/open_clip_config.json");
  return parse_open_clip_config(nlohmann::json::parse(io::read_file(file)), file);
}

class InferFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(InferFixture, InferredConfigEqualsJSON) {
  auto expected = open_clip_fixture_config(GetParam());
  auto file = shared_path("fixtures/open_clip-2.30.0/" + GetParam() + "/open_clip_model.safetensors");
  auto inferred = infer_config(io::read_checkpoint(file).tensors, file);

  // Shapes cannot tell the text heads or the activation: inference assumes OpenAI's 64-channel heads
  // and QuickGELU, as open_clip's build_model_from_openai_state_dict does.
  EXPECT_EQ(inferred.text_cfg->heads, inferred.text_cfg->width / 64);
  EXPECT_EQ(inferred.activation, Activation::kQuickGELU);
  inferred.text_cfg->heads = expected.text_cfg->heads;
  inferred.activation = expected.activation;
  inferred.preprocess_cfg = expected.preprocess_cfg;
  EXPECT_EQ(inferred.embed_dim, expected.embed_dim);
  EXPECT_EQ(inferred.vision_cfg, expected.vision_cfg);
  EXPECT_EQ(inferred.text_cfg, expected.text_cfg);
  EXPECT_EQ(inferred, expected);
}

INSTANTIATE_TEST_SUITE_P(AllModels, InferFixture,
                         ::testing::Values("vit-tiny-quickgelu", "vit-tiny-gelu-p16", "rn-tiny-quickgelu"));

TEST(Config, ParsesOpenClipFixtures) {
  auto vit = open_clip_fixture_config("vit-tiny-gelu-p16");
  EXPECT_EQ(vit.embed_dim, 96);
  EXPECT_EQ(vit.activation, Activation::kGELU);
  EXPECT_EQ(vit.vision_cfg->patch_size, 16);
  EXPECT_EQ(vit.vision_cfg->heads(), 3);
  EXPECT_EQ(vit.text_cfg->heads, 3);
  EXPECT_EQ(vit.preprocess_cfg.at("interpolation"), "bicubic");

  auto resnet = open_clip_fixture_config("rn-tiny-quickgelu");
  EXPECT_TRUE(resnet.vision_cfg->is_resnet());
  EXPECT_EQ(resnet.vision_cfg->layers, (std::vector<int64_t>{1, 1, 2, 1}));
  EXPECT_EQ(resnet.vision_cfg->heads(), 8);
  EXPECT_EQ(resnet.activation, Activation::kQuickGELU);
}

TEST(Config, HfConfigAppliesTransformersDefaults) {
  auto file = shared_path("fixtures/hf-format/vit-tiny-quickgelu/config.json");
  auto config = parse_hf_config(nlohmann::json::parse(io::read_file(file)), file);
  EXPECT_EQ(config.embed_dim, 64);
  EXPECT_EQ(config.activation, Activation::kQuickGELU);
  EXPECT_EQ(config.vision_cfg->image_size, 224);
  EXPECT_EQ(config.vision_cfg->patch_size, 32);
  EXPECT_EQ(config.vision_cfg->heads(), 2);
  EXPECT_EQ(config.text_cfg->context_length, 77);
  EXPECT_EQ(config.text_cfg->vocab_size, 49408);
  EXPECT_EQ(config.text_cfg->pool_type, "eos");
  EXPECT_EQ(config.text_cfg->eos_id, 49407);
}

TEST(Config, HfLegacyEosIdPoolsAtArgmax) {
  auto json = nlohmann::json::parse(R"({"model_type": "clip", "text_config": {"eos_token_id": 2}})");
  EXPECT_EQ(parse_hf_config(json, "config.json").text_cfg->pool_type, "argmax");
}

TEST(Config, HfMismatchedActivationsAreRejected) {
  auto json = nlohmann::json::parse(
      R"({"model_type": "clip", "text_config": {"hidden_act": "gelu"}, "vision_config": {"hidden_act": "quick_gelu"}})");
  EXPECT_THROW(parse_hf_config(json, "config.json"), Error);
}

TEST(Config, UnknownActivationNameIsRejected) {
  try {
    parse_activation("swish");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("'swish'"), std::string::npos);
  }
  EXPECT_EQ(parse_activation("gelu_pytorch_tanh"), Activation::kGELUTanh);
}

TEST(Config, UnsupportedTowersAreRejected) {
  auto timm = nlohmann::json::parse(R"({"embed_dim": 512, "vision_cfg": {"timm_model_name": "convnext"}})");
  EXPECT_THROW(parse_open_clip_config(timm, "x.json"), Error);
  auto layer_scale = nlohmann::json::parse(R"({"embed_dim": 512, "text_cfg": {"ls_init_value": 0.1}})");
  EXPECT_THROW(parse_open_clip_config(layer_scale, "x.json"), Error);
  auto bad_type = nlohmann::json::parse(R"({"embed_dim": 512, "text_cfg": {"width": "wide"}})");
  EXPECT_THROW(parse_open_clip_config(bad_type, "x.json"), Error);
}

TEST(Config, InferenceWithoutTowersNamesTheFile) {
  std::map<std::string, torch::Tensor> tensors{{"foo", torch::zeros({1})}};
  try {
    infer_config(tensors, "weights.bin");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("weights.bin"), std::string::npos);
  }
}

}  // namespace
}  // namespace clipscope::model
