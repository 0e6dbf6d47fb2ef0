#include "clipscope/model/loader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clipscope/error.h"
#include "clipscope/io/checkpoint.h"
#include "test_support.h"

namespace clipscope::model {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

namespace fs = std::filesystem;

const std::string kModel = "fixtures/open_clip-2.30.0/vit-tiny-quickgelu";

// Writes an open_clip folder holding the fixture's config and `tensors` as weights.
fs::path write_open_clip_folder(const std::map<std::string, torch::Tensor>& tensors) {
  auto folder = make_temp_dir();
  fs::copy_file(shared_path(kModel + "/open_clip_config.json"), folder / "open_clip_config.json");
  io::write_safetensors(folder / "open_clip_model.safetensors", tensors);
  return folder;
}

std::map<std::string, torch::Tensor> fixture_tensors() {
  return io::read_checkpoint(shared_path(kModel + "/open_clip_model.safetensors")).tensors;
}

// Loads `path` and returns the error message, failing the test if loading succeeds.
std::string load_error(const fs::path& path, ErrorKind expected_kind, const LoadOptions& options = {}) {
  try {
    load_model(path, options);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), expected_kind) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "loading " << path << " succeeded";
  return "";
}

TEST(Loader, MissingKeyIsNamedWithFileAndFix) {
  auto tensors = fixture_tensors();
  tensors.erase("visual.proj");
  auto folder = write_open_clip_folder(tensors);
  auto message = load_error(folder, ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("'visual.proj' is missing"), std::string::npos) << message;
  EXPECT_NE(message.find("open_clip_model.safetensors"), std::string::npos) << message;
  EXPECT_NE(message.find("[128, 64]"), std::string::npos) << message;
  EXPECT_NE(message.find("open_clip_config.json"), std::string::npos) << message;
}

TEST(Loader, WrongShapeShowsGotAndExpected) {
  auto tensors = fixture_tensors();
  tensors["ln_final.weight"] = torch::zeros({65});
  auto message = load_error(write_open_clip_folder(tensors), ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("'ln_final.weight' has shape [65] but the model expects [64]"), std::string::npos)
      << message;
}

TEST(Loader, UnexpectedKeyIsRejected) {
  auto tensors = fixture_tensors();
  tensors["visual.extra.weight"] = torch::zeros({3});
  auto message = load_error(write_open_clip_folder(tensors), ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("unexpected key 'visual.extra.weight'"), std::string::npos) << message;
}

TEST(Loader, FolderWithoutWeightsIsNotFound) {
  auto folder = make_temp_dir();
  fs::copy_file(shared_path(kModel + "/open_clip_config.json"), folder / "open_clip_config.json");
  auto message = load_error(folder, ErrorKind::kNotFound);
  EXPECT_NE(message.find("open_clip_model.safetensors"), std::string::npos) << message;

  auto empty = make_temp_dir();
  load_error(empty, ErrorKind::kNotFound);
  load_error(empty / "missing.safetensors", ErrorKind::kNotFound);
}

TEST(Loader, BareStateDictIsInferred) {
  auto folder = make_temp_dir();
  io::write_safetensors(folder / "weights.safetensors", fixture_tensors());
  auto loaded = load_model(folder / "weights.safetensors");
  EXPECT_EQ(loaded.source_format, "state_dict");
  EXPECT_EQ(loaded.activation_source, "inferred");
  EXPECT_EQ(loaded.config().activation, Activation::kQuickGELU);
  EXPECT_TRUE(loaded.config_path.empty());

  LoadOptions options;
  options.config = shared_path(kModel + "/open_clip_config.json");
  options.activation = Activation::kGELU;
  auto configured = load_model(folder / "weights.safetensors", options);
  EXPECT_EQ(configured.config().text_cfg->heads, 2);
  EXPECT_EQ(configured.config().activation, Activation::kGELU);
  EXPECT_EQ(configured.activation_source, "override");
}

TEST(Loader, VisionOnlyStateDictHasNoTextTower) {
  std::map<std::string, torch::Tensor> visual;
  for (const auto& [key, tensor] : fixture_tensors()) {
    if (key.rfind("visual.", 0) == 0) visual[key] = tensor;
  }
  auto folder = make_temp_dir();
  io::write_safetensors(folder / "visual.safetensors", visual);
  auto loaded = load_model(folder / "visual.safetensors");
  EXPECT_TRUE(loaded.model->has_image_tower());
  EXPECT_FALSE(loaded.model->has_text_tower());
  try {
    loaded.model->encode_text(torch::zeros({1, 3}, torch::kInt64));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kUnsupported);
  }
}

TEST(Loader, UnknownPreprocessStyleIsRejected) {
  LoadOptions options;
  options.preprocess = "torchvision";
  load_error(shared_path(kModel), ErrorKind::kInvalidArgument, options);
}

TEST(Loader, TokenizerFilesAreFound) {
  auto hf = shared_path("fixtures/hf-format/vit-tiny-quickgelu");
  auto files = find_tokenizer_files(hf, {});
  EXPECT_EQ(files.merges_txt, hf / "merges.txt");

  auto bpe = shared_path("vocab/bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(find_tokenizer_files(shared_path(kModel), bpe).bpe_gz, bpe);
  EXPECT_THROW(find_tokenizer_files(shared_path(kModel), make_temp_dir() / "none.gz"), Error);
}

}  // namespace
}  // namespace clipscope::model
