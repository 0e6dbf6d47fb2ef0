#include "clipscope/io/checkpoint.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "expect_error.h"
#include "test_support.h"

namespace clipscope::io {
namespace {

using clipscope::testing::expect_error;
using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

std::filesystem::path checkpoint_fixture(const std::string& name) {
  return std::filesystem::path(CLIPSCOPE_SOURCE_DIR) / "tests/fixtures/checkpoints" / name;
}

void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(Checkpoint, DispatchesOnContentNotExtension) {
  auto folder = make_temp_dir();
  std::filesystem::copy_file(
      shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu/open_clip_model.safetensors"),
      folder / "weights.bin");
  std::filesystem::copy_file(checkpoint_fixture("shared_storage.pt"), folder / "weights.safetensors");
  EXPECT_EQ(read_checkpoint(folder / "weights.bin").format, "safetensors");
  EXPECT_EQ(read_checkpoint(folder / "weights.safetensors").format, "pytorch-zip");
  EXPECT_EQ(read_checkpoint(checkpoint_fixture("scripted.pt")).format, "torchscript");
}

TEST(Checkpoint, RejectsFilesThatAreNotCheckpoints) {
  auto folder = make_temp_dir();
  auto read = [](const std::filesystem::path& file) { return read_checkpoint(file); };
  const auto bad = ErrorKind::kInvalidArgument;

  write_bytes(folder / "empty.bin", "");
  expect_error(read, folder / "empty.bin", bad, "is empty (0 bytes)");

  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (auto& byte : noise) byte = static_cast<char>(random() & 0xff);
  noise[0] = 'Z';
  write_bytes(folder / "noise.bin", noise);
  expect_error(read, folder / "noise.bin", bad, "is not a checkpoint clipscope recognises");

  std::filesystem::copy_file(shared_path("fixtures/open_clip-2.30.0/images/edge_gray.png"),
                             folder / "image.bin");
  expect_error(read, folder / "image.bin", bad, "is a PNG image, not a checkpoint");

  expect_error(read, folder, bad, "is a folder");
  expect_error(read, folder / "missing.bin", ErrorKind::kNotFound, "checkpoint file not found");
}

TEST(Checkpoint, EveryTruncationThrowsErrorAndNeverCrashes) {
  auto folder = make_temp_dir();
  write_safetensors(folder / "small.safetensors",
                    {{"a", torch::arange(10, torch::kFloat32)},
                     {"b", torch::ones({3, 2}, torch::kFloat16)},
                     {"c", torch::arange(5, torch::kInt64)}},
                    {{"format", "pt"}});
  const std::filesystem::path sources[] = {
      folder / "small.safetensors", checkpoint_fixture("training_checkpoint.pt"), checkpoint_fixture("scripted.pt")};
  for (const auto& source : sources) {
    std::string bytes = read_file(source);
    ASSERT_NO_THROW(read_checkpoint(source)) << source;
    // Every length in the first and last 600 bytes (headers, zip directory) and a stride between.
    std::vector<size_t> lengths;
    for (size_t length = 0; length < bytes.size(); ++length) {
      if (length < 600 || length + 600 > bytes.size() || length % 37 == 0)
        lengths.push_back(length);
    }
    // Lengths ascend, so the file only grows: rewriting it in place avoids truncations, which
    // are slow on some file systems.
    auto cut = folder / ("cut-" + source.filename().string());
    write_bytes(cut, "");
    std::fstream stream(cut, std::ios::in | std::ios::out | std::ios::binary);
    for (size_t length : lengths) {
      stream.seekp(0);
      stream.write(bytes.data(), static_cast<std::streamsize>(length));
      stream.flush();
      try {
        read_checkpoint(cut);
        ADD_FAILURE() << source << " truncated to " << length << " bytes was accepted";
      } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find(cut.string()), std::string::npos) << error.what();
      }
    }
  }
}

}  // namespace
}  // namespace clipscope::io
