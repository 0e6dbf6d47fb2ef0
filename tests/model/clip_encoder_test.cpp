#include "clipscope/model/clip_encoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "test_support.h"

namespace clipscope::model {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

namespace fs = std::filesystem;

// Returns the message of the Error `action` throws, failing the test if it throws none.
template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument) << error.what();
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(CLIPEncoder, TokenIdsOutsideVocabularyFail) {
  auto encoder = CLIPEncoder::load(shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu"));
  auto ids = torch::zeros({2, 5}, torch::kInt64);
  ids[1][2] = 49408;
  auto message = error_of([&] { encoder->encode_token_ids(ids); });
  EXPECT_NE(message.find("token id 49408 is outside the vocabulary"), std::string::npos) << message;
  EXPECT_NE(message.find("ids 0 to 49407"), std::string::npos) << message;

  auto floats = error_of([&] { encoder->encode_token_ids(torch::zeros({2, 5})); });
  EXPECT_NE(floats.find("must be int64 [N, L], got Float [2, 5]"), std::string::npos) << floats;
}

TEST(CLIPEncoder, TokenizerEndTokenMustBeConfigEos) {
  // A Hugging Face model pools at eos_token_id; its tokenizer ends every text with 49407.
  const auto source = shared_path("fixtures/hf-format/vit-tiny-quickgelu");
  const auto folder = make_temp_dir();
  for (const char* name : {"config.json", "model.safetensors", "vocab.json", "merges.txt"}) {
    fs::copy_file(source / name, folder / name);
  }
  auto config = nlohmann::json::parse(io::read_file(folder / "config.json"));
  config["text_config"]["eos_token_id"] = 49406;
  io::write_file_atomic(folder / "config.json", config.dump(2));

  auto message = error_of([&] { CLIPEncoder::load(folder); });
  EXPECT_NE(message.find("ends texts with id 49407"), std::string::npos) << message;
  EXPECT_NE(message.find("pools at eos_token_id 49406"), std::string::npos) << message;
  EXPECT_NE(message.find((folder / "config.json").string()), std::string::npos) << message;
  EXPECT_NE(message.find((folder / "vocab.json").string()), std::string::npos) << message;
}

}  // namespace
}  // namespace clipscope::model
