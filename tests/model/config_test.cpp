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

// Returns the message of the Error that parse_open_clip_config raises for `text`, or "" if none.
std::string open_clip_error(const std::string& text) {
  try {
    parse_open_clip_config(nlohmann::json::parse(text), "configs/model.json");
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("configs/model.json"), std::string::npos)
        << error.what();
    return error.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

TEST(Config, UnknownKeysAreRejectedWithTheKnownOnes) {
  auto vision = open_clip_error(R"({"embed_dim": 64, "vision_cfg": {"widht": 128}})");
  EXPECT_NE(vision.find("unknown key 'vision_cfg.widht'"), std::string::npos) << vision;
  EXPECT_NE(vision.find("known keys: layers, width, head_width"), std::string::npos) << vision;

  auto text = open_clip_error(R"({"embed_dim": 64, "text_cfg": {"vocab": 10}})");
  EXPECT_NE(text.find("unknown key 'text_cfg.vocab'"), std::string::npos) << text;
  EXPECT_NE(text.find("context_length, vocab_size"), std::string::npos) << text;

  auto model = open_clip_error(R"({"embed_dim": 64, "quickgelu": true, "text_cfg": {}})");
  EXPECT_NE(model.find("unknown key 'quickgelu'"), std::string::npos) << model;

  auto file =
      open_clip_error(R"({"model_cfg": {"embed_dim": 64, "text_cfg": {}}, "preprocess": {}})");
  EXPECT_NE(file.find("unknown key 'preprocess'"), std::string::npos) << file;

  auto preprocess = open_clip_error(
      R"({"model_cfg": {"embed_dim": 64, "text_cfg": {}}, "preprocess_cfg": {"interpolaton": "bicubic"}})");
  EXPECT_NE(preprocess.find("unknown key 'preprocess_cfg.interpolaton'"), std::string::npos)
      << preprocess;
}

TEST(Config, WrongTypesNameKeyExpectedAndGot) {
  auto width = open_clip_error(R"({"embed_dim": 64, "text_cfg": {"width": "wide"}})");
  EXPECT_NE(width.find("'text_cfg.width' must be a whole number, got \"wide\" (string)"),
            std::string::npos)
      << width;

  auto fraction = open_clip_error(R"({"embed_dim": 64, "text_cfg": {"layers": 2.5}})");
  EXPECT_NE(fraction.find("'text_cfg.layers' must be a whole number, got 2.5 (number)"),
            std::string::npos)
      << fraction;

  auto flag = open_clip_error(R"({"embed_dim": 64, "quick_gelu": 1, "text_cfg": {}})");
  EXPECT_NE(flag.find("'quick_gelu' must be true or false, got 1 (number)"), std::string::npos)
      << flag;

  auto section = open_clip_error(R"({"embed_dim": 64, "vision_cfg": [1, 2]})");
  EXPECT_NE(section.find("'vision_cfg' must be a JSON object, got [1,2] (array)"),
            std::string::npos)
      << section;

  auto stages = open_clip_error(R"({"embed_dim": 64, "vision_cfg": {"layers": [1, "2", 1, 1]}})");
  EXPECT_NE(stages.find("'vision_cfg.layers' must be a list of whole numbers"), std::string::npos)
      << stages;

  auto mean = open_clip_error(
      R"({"model_cfg": {"embed_dim": 64, "text_cfg": {}}, "preprocess_cfg": {"mean": [0.5, "x", 0.5]}})");
  EXPECT_NE(mean.find("'preprocess_cfg.mean' must be a list of three numbers"), std::string::npos)
      << mean;
}

TEST(Config, ForwardChangingOptionsAreRejected) {
  for (const char* text : {R"({"embed_dim": 64, "text_cfg": {"no_causal_mask": true}})",
                           R"({"embed_dim": 64, "text_cfg": {"proj_type": "none"}})",
                           R"({"embed_dim": 64, "text_cfg": {"norm_kwargs": {"eps": 1e-6}}})",
                           R"({"embed_dim": 64, "init_logit_bias": -10, "text_cfg": {}})"}) {
    auto message = open_clip_error(text);
    EXPECT_NE(message.find("is not supported"), std::string::npos) << message;
  }
  auto defaults = nlohmann::json::parse(
      R"({"embed_dim": 64, "text_cfg": {"proj_type": "linear", "no_causal_mask": false, "norm_kwargs": {}}})");
  EXPECT_NO_THROW(parse_open_clip_config(defaults, "x.json"));
}

TEST(Config, HfTowerMustBeAnObject) {
  auto json = nlohmann::json::parse(R"({"model_type": "clip", "text_config": 5})");
  try {
    parse_hf_config(json, "hf/config.json");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("'text_config' must be a JSON object, got 5 (number)"),
              std::string::npos)
        << error.what();
  }
  auto extra = nlohmann::json::parse(
      R"({"model_type": "clip", "architectures": ["CLIPModel"], "torch_dtype": "float32"})");
  EXPECT_NO_THROW(parse_hf_config(extra, "hf/config.json"));
}

}  // namespace
}  // namespace clipscope::model
