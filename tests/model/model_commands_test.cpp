// Runs the model commands of the clipscope CLI end to end on the shared fixtures.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clipscope/io/atomic_file.h"
#include "clipscope/io/checkpoint.h"
#include "clipscope/io/npy_tensor.h"
#include "test_support.h"

namespace clipscope::model {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::run_cli;
using clipscope::testing::shared_path;
using clipscope::testing::shell_quote;

namespace fs = std::filesystem;

// As in clip_test.cpp: open_clip's own fp32 features agree to about 1e-5.
constexpr double kFeatureTolerance = 1e-4;

const std::string kFixtures = "fixtures/open_clip-2.30.0";

std::string quoted(const fs::path& path) { return shell_quote(path.string()); }

std::string tokenizer_option() { return " --tokenizer " + quoted(shared_path("vocab/bpe_simple_vocab_16e6.txt.gz")); }

int count_lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

TEST(EmbedCommand, MatchesOpenClipFromFiles) {
  auto model = shared_path(kFixtures + "/vit-tiny-quickgelu");
  auto out = make_temp_dir() / "features";
  auto result = run_cli("embed --model " + quoted(model) + tokenizer_option() + " --images " +
                        quoted(shared_path(kFixtures + "/images.txt")) + " --texts " +
                        quoted(shared_path(kFixtures + "/captions.txt")) + " --out " + quoted(out));
  ASSERT_EQ(result.exit_code, 0) << result.output;

  auto text = io::read_npy_tensor(out / "text_features.npy");
  auto expected_text = io::read_npy_tensor(model / "text_features.npy");
  ASSERT_EQ(text.sizes(), expected_text.sizes());
  EXPECT_LT((text - expected_text).abs().max().item<double>(), kFeatureTolerance);

  auto image = io::read_npy_tensor(out / "image_features.npy");
  auto expected_image = io::read_npy_tensor(model / "image_features.npy");
  ASSERT_EQ(image.sizes(), expected_image.sizes());
  EXPECT_LT((image - expected_image).abs().max().item<double>(), kFeatureTolerance);

  EXPECT_EQ(count_lines(io::read_file(out / "images.txt")), 93);
  EXPECT_EQ(count_lines(io::read_file(out / "texts.txt")), 431);
  auto record = nlohmann::json::parse(io::read_file(out / "embed.json"));
  EXPECT_EQ(record.at("activation"), "quick_gelu");
  EXPECT_EQ(record.at("preprocess"), "open_clip");
  EXPECT_EQ(record.at("model").at("weights_sha256"),
            "ba660b42e94b9527d28a86d2223d643436effd8ca4dbc9840a115542440e2556");
}

TEST(EmbedCommand, NormalizeGivesUnitRows) {
  auto folder = make_temp_dir();
  io::write_file_atomic(folder / "texts.txt", "a dog\na cat and a dog\n");
  auto result = run_cli("embed --model " + quoted(shared_path(kFixtures + "/rn-tiny-quickgelu")) + tokenizer_option() +
                        " --texts " + quoted(folder / "texts.txt") + " --normalize --batch-size 1 --out " +
                        quoted(folder / "out"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto features = io::read_npy_tensor(folder / "out" / "text_features.npy");
  EXPECT_TRUE(torch::allclose(features.norm(2, -1), torch::ones({2}), 1e-5, 1e-5));
  EXPECT_FALSE(fs::exists(folder / "out" / "image_features.npy"));
}

TEST(TokenizeCommand, MatchesOpenClipIds) {
  auto out = make_temp_dir() / "ids.npy";
  auto result = run_cli("tokenize --model " + quoted(shared_path(kFixtures + "/vit-tiny-quickgelu")) +
                        tokenizer_option() + " " + quoted(shared_path(kFixtures + "/captions.txt")) + " --out " +
                        quoted(out));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(torch::equal(io::read_npy_tensor(out), io::read_npy_tensor(shared_path(kFixtures + "/captions.tokens.npy"))));
}

TEST(PreprocessCommand, MatchesOpenClipCrops) {
  auto out = make_temp_dir() / "crops.npy";
  auto result = run_cli("preprocess --model " + quoted(shared_path(kFixtures + "/vit-tiny-quickgelu")) +
                        " --images " + quoted(shared_path(kFixtures + "/images.txt")) + " --out " + quoted(out));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(
      torch::equal(io::read_npy_tensor(out), io::read_npy_tensor(shared_path(kFixtures + "/images.crops_uint8.npy"))));
}

TEST(ModelInfoCommand, PrintsArchitecture) {
  auto result = run_cli("model info " + quoted(shared_path(kFixtures + "/rn-tiny-quickgelu")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("ModifiedResNet"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("bfloat16"), std::string::npos) << result.output;
}

// Checks that a failed command exits with `exit_code` and prints one error line containing `needle`.
void expect_one_line_error(const clipscope::testing::CommandResult& result, int exit_code, const std::string& needle) {
  EXPECT_EQ(result.exit_code, exit_code) << result.output;
  EXPECT_NE(result.output.find("error: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(needle), std::string::npos) << result.output;
  EXPECT_EQ(count_lines(result.output), 1) << result.output;
}

TEST(ModelCommands, MissingKeyFails) {
  auto folder = make_temp_dir();
  auto tensors = io::read_checkpoint(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_model.safetensors")).tensors;
  tensors.erase("ln_final.weight");
  io::write_safetensors(folder / "open_clip_model.safetensors", tensors);
  fs::copy_file(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_config.json"), folder / "open_clip_config.json");
  expect_one_line_error(run_cli("model info " + quoted(folder)), 2, "'ln_final.weight' is missing");
}

TEST(ModelCommands, WrongShapeFails) {
  auto folder = make_temp_dir();
  auto tensors = io::read_checkpoint(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_model.safetensors")).tensors;
  tensors["visual.proj"] = torch::zeros({128, 65});
  io::write_safetensors(folder / "open_clip_model.safetensors", tensors);
  fs::copy_file(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_config.json"), folder / "open_clip_config.json");
  expect_one_line_error(run_cli("model info " + quoted(folder)), 2, "has shape [128, 65] but the model expects [128, 64]");
}

TEST(ModelCommands, UnknownActivationFails) {
  expect_one_line_error(
      run_cli("model info " + quoted(shared_path(kFixtures + "/vit-tiny-quickgelu")) + " --activation swish"), 2,
      "unknown activation 'swish'");
}

TEST(ModelCommands, FolderWithoutWeightsFails) {
  auto folder = make_temp_dir();
  fs::copy_file(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_config.json"), folder / "open_clip_config.json");
  expect_one_line_error(run_cli("model info " + quoted(folder)), 3, "has no weights");
}

TEST(ModelCommands, TextsWithoutTextTowerFail) {
  auto folder = make_temp_dir();
  std::map<std::string, torch::Tensor> visual;
  for (const auto& [key, tensor] :
       io::read_checkpoint(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_model.safetensors")).tensors) {
    if (key.rfind("visual.", 0) == 0) visual[key] = tensor;
  }
  io::write_safetensors(folder / "visual.safetensors", visual);
  io::write_file_atomic(folder / "texts.txt", "a dog\n");
  expect_one_line_error(run_cli("--log-level warn embed --model " + quoted(folder / "visual.safetensors") + " --texts " +
                                quoted(folder / "texts.txt") + " --out " + quoted(folder / "out")),
                        4, "has no text tower");
  EXPECT_FALSE(fs::exists(folder / "out" / "embed.json"));
}

}  // namespace
}  // namespace clipscope::model
