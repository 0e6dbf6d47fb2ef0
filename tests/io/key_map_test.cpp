#include "clipscope/io/key_map.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clipscope/error.h"

namespace clipscope::io {
namespace {

TEST(KeyMap, DetectsNamingScheme) {
  EXPECT_EQ(detect_key_naming({{"visual.proj", torch::zeros({1})}}), KeyNaming::kOpenClip);
  EXPECT_EQ(detect_key_naming({{"text_model.final_layer_norm.weight", torch::zeros({1})}}), KeyNaming::kHuggingFace);
}

TEST(KeyMap, ConcatenatesQueryKeyValueInOrder) {
  const std::string layer = "vision_model.encoder.layers.3.self_attn.";
  std::map<std::string, torch::Tensor> tensors{
      {layer + "q_proj.weight", torch::full({2, 2}, 1.0f)}, {layer + "k_proj.weight", torch::full({2, 2}, 2.0f)},
      {layer + "v_proj.weight", torch::full({2, 2}, 3.0f)}, {layer + "q_proj.bias", torch::full({2}, 4.0f)},
      {layer + "k_proj.bias", torch::full({2}, 5.0f)},      {layer + "v_proj.bias", torch::full({2}, 6.0f)},
  };
  auto renamed = hf_to_open_clip(tensors, "model.safetensors");
  ASSERT_EQ(renamed.size(), 2u);
  auto weight = renamed.at("visual.transformer.resblocks.3.attn.in_proj_weight");
  EXPECT_EQ(weight.sizes(), torch::IntArrayRef({6, 2}));
  EXPECT_EQ(weight[0][0].item<float>(), 1.0f);
  EXPECT_EQ(weight[2][0].item<float>(), 2.0f);
  EXPECT_EQ(weight[4][0].item<float>(), 3.0f);
  auto bias = renamed.at("visual.transformer.resblocks.3.attn.in_proj_bias");
  EXPECT_TRUE(torch::equal(bias, torch::tensor({4.0f, 4.0f, 5.0f, 5.0f, 6.0f, 6.0f})));
}

TEST(KeyMap, RenamesEveryClipModelName) {
  std::map<std::string, std::string> expected{
      {"logit_scale", "logit_scale"},
      {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
      {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
      {"text_model.encoder.layers.0.layer_norm1.weight", "transformer.resblocks.0.ln_1.weight"},
      {"text_model.encoder.layers.0.layer_norm2.bias", "transformer.resblocks.0.ln_2.bias"},
      {"text_model.encoder.layers.0.mlp.fc1.weight", "transformer.resblocks.0.mlp.c_fc.weight"},
      {"text_model.encoder.layers.0.mlp.fc2.bias", "transformer.resblocks.0.mlp.c_proj.bias"},
      {"text_model.encoder.layers.0.self_attn.out_proj.weight", "transformer.resblocks.0.attn.out_proj.weight"},
      {"text_model.final_layer_norm.weight", "ln_final.weight"},
      {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
      {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
      {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
      {"vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"},
      {"vision_model.post_layernorm.bias", "visual.ln_post.bias"},
      {"vision_model.encoder.layers.11.mlp.fc1.bias", "visual.transformer.resblocks.11.mlp.c_fc.bias"},
  };
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [from, to] : expected) tensors[from] = torch::zeros({1});
  auto renamed = hf_to_open_clip(tensors, "model.safetensors");
  EXPECT_EQ(renamed.size(), expected.size());
  for (const auto& [from, to] : expected) EXPECT_TRUE(renamed.count(to)) << from << " -> " << to;
}

TEST(KeyMap, TransposesProjectionsAndDropsPositionIds) {
  std::map<std::string, torch::Tensor> tensors{
      {"text_projection.weight", torch::arange(6, torch::kFloat32).reshape({2, 3})},
      {"visual_projection.weight", torch::zeros({4, 5})},
      {"text_model.embeddings.position_ids", torch::arange(77).unsqueeze(0)},
      {"vision_model.embeddings.position_ids", torch::arange(50).unsqueeze(0)},
  };
  auto renamed = hf_to_open_clip(tensors, "model.safetensors");
  ASSERT_EQ(renamed.size(), 2u);
  EXPECT_EQ(renamed.at("text_projection").sizes(), torch::IntArrayRef({3, 2}));
  EXPECT_EQ(renamed.at("text_projection")[2][1].item<float>(), 5.0f);
  EXPECT_EQ(renamed.at("visual.proj").sizes(), torch::IntArrayRef({5, 4}));
}

TEST(KeyMap, KeepsUnknownNamesForStrictBinding) {
  auto renamed = hf_to_open_clip({{"vision_model.head.weight", torch::zeros({1})}}, "model.safetensors");
  EXPECT_TRUE(renamed.count("vision_model.head.weight"));
}

TEST(KeyMap, IncompleteProjectionNamesFileAndKey) {
  std::map<std::string, torch::Tensor> tensors{
      {"text_model.encoder.layers.0.self_attn.q_proj.weight", torch::zeros({2, 2})},
      {"text_model.encoder.layers.0.self_attn.v_proj.weight", torch::zeros({2, 2})},
  };
  try {
    hf_to_open_clip(tensors, "model.safetensors");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
    EXPECT_NE(message.find("k_proj"), std::string::npos) << message;
  }
}

TEST(KeyMap, DropsOpenAIScalars) {
  std::map<std::string, torch::Tensor> tensors{{"input_resolution", torch::tensor(224)},
                                               {"context_length", torch::tensor(77)},
                                               {"vocab_size", torch::tensor(49408)},
                                               {"visual.proj", torch::zeros({2, 2})}};
  auto renamed = to_open_clip_names(tensors, "ViT-B-32.pt");
  ASSERT_EQ(renamed.size(), 1u);
  EXPECT_TRUE(renamed.count("visual.proj"));
}

}  // namespace
}  // namespace clipscope::io
