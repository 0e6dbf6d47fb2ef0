// Runs the model commands of the clipscope CLI end to end on the shared fixtures.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <sstream>

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
constexpr double kCliFeatureTolerance = 1e-4;

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
  EXPECT_LT((text - expected_text).abs().max().item<double>(), kCliFeatureTolerance);

  auto image = io::read_npy_tensor(out / "image_features.npy");
  auto expected_image = io::read_npy_tensor(model / "image_features.npy");
  ASSERT_EQ(image.sizes(), expected_image.sizes());
  EXPECT_LT((image - expected_image).abs().max().item<double>(), kCliFeatureTolerance);

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

// Writes a list of the first `count` fixture images (absolute paths) into `folder`.
fs::path write_image_list(const fs::path& folder, int count) {
  const fs::path fixtures = shared_path(kFixtures);
  std::istringstream lines(io::read_file(fixtures / "images.txt"));
  std::string list;
  std::string line;
  for (int i = 0; i < count && std::getline(lines, line); ++i) {
    list += (fixtures / line).lexically_normal().string() + "\n";
  }
  io::write_file_atomic(folder / "images.txt", list);
  return folder / "images.txt";
}

TEST(EmbedCommand, MissingTokenizerWritesNothing) {
  // No --tokenizer, no tokenizer beside the fixture and none from the environment.
  unsetenv("CLIPSCOPE_BPE_PATH");
  auto folder = make_temp_dir();
  io::write_file_atomic(folder / "texts.txt", "a dog\n");
  expect_one_line_error(run_cli("--log-level warn embed --model " +
                                quoted(shared_path(kFixtures + "/vit-tiny-quickgelu")) +
                                " --images " + quoted(write_image_list(folder, 2)) + " --texts " +
                                quoted(folder / "texts.txt") + " --out " + quoted(folder / "out")),
                        3, "no tokenizer for model");
  EXPECT_FALSE(fs::exists(folder / "out"));
}

TEST(EmbedCommand, BlankLineInImageListFails) {
  auto folder = make_temp_dir();
  const auto list = write_image_list(folder, 2);
  io::write_file_atomic(list, "\n" + io::read_file(list));
  expect_one_line_error(
      run_cli("embed --model " + quoted(shared_path(kFixtures + "/vit-tiny-quickgelu")) +
              " --images " + quoted(list) + " --out " + quoted(folder / "out")),
      2, "line 1 is blank");
  EXPECT_FALSE(fs::exists(folder / "out"));
}

TEST(EmbedCommand, OutputThatIsAFileFails) {
  auto folder = make_temp_dir();
  io::write_file_atomic(folder / "out", "not a folder");
  expect_one_line_error(
      run_cli("--log-level warn embed --model " +
              quoted(shared_path(kFixtures + "/vit-tiny-quickgelu")) + " --images " +
              quoted(write_image_list(folder, 1)) + " --out " + quoted(folder / "out")),
      2, "exists and is not a folder");
  EXPECT_EQ(io::read_file(folder / "out"), "not a folder");
}

TEST(ModelCommands, TokenizerLargerThanVocabularyFails) {
  // The shipped model has a 596-token BPE vocabulary; the CLIP BPE has 49,408 tokens.
  const auto bpe = shared_path("vocab/bpe_simple_vocab_16e6.txt.gz");
  const auto model = fs::path(CLIPSCOPE_SOURCE_DIR) / "models" / "clipscope-simco-tiny";
  const auto result = run_cli("model info " + quoted(model) + " --tokenizer " + quoted(bpe));
  expect_one_line_error(result, 2, "has 49408 tokens but model 'clipscope-simco-tiny'");
  EXPECT_NE(result.output.find(bpe.string()), std::string::npos) << result.output;
  EXPECT_NE(result.output.find((model / "open_clip_model.safetensors").string()), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("has 596 token_embedding rows"), std::string::npos) << result.output;
}

TEST(ModelCommands, UnknownConfigKeyFails) {
  auto folder = make_temp_dir();
  fs::copy_file(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_model.safetensors"),
                folder / "open_clip_model.safetensors");
  auto config = nlohmann::json::parse(
      io::read_file(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_config.json")));
  config["model_cfg"]["text_cfg"]["vocab_sise"] = 49408;
  io::write_file_atomic(folder / "open_clip_config.json", config.dump(2));
  expect_one_line_error(run_cli("model info " + quoted(folder)), 2,
                        "unknown key 'text_cfg.vocab_sise'");
}

TEST(ModelCommands, WronglyTypedConfigValueFails) {
  auto folder = make_temp_dir();
  fs::copy_file(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_model.safetensors"),
                folder / "open_clip_model.safetensors");
  auto config = nlohmann::json::parse(
      io::read_file(shared_path(kFixtures + "/vit-tiny-quickgelu/open_clip_config.json")));
  config["model_cfg"]["vision_cfg"]["width"] = "128";
  io::write_file_atomic(folder / "open_clip_config.json", config.dump(2));
  const auto result = run_cli("model info " + quoted(folder));
  expect_one_line_error(result, 2,
                        "'vision_cfg.width' must be a whole number, got \"128\" (string)");
  EXPECT_NE(result.output.find((folder / "open_clip_config.json").string()), std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("json.exception"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace clipscope::model
