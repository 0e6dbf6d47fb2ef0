#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "clipscope/error.h"
#include "clipscope/io/checkpoint.h"
#include "expect_error.h"
#include "test_support.h"

namespace clipscope::io {
namespace {

using clipscope::testing::expect_error;
using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

/// Writes a safetensors file from a raw header string and `data_bytes` bytes of data (0, 1, 2...).
std::filesystem::path write_raw(const std::filesystem::path& path, const std::string& header,
                                size_t data_bytes, uint64_t declared_size = 0) {
  uint64_t size = declared_size != 0 ? declared_size : header.size();
  std::ofstream stream(path, std::ios::binary);
  stream.write(reinterpret_cast<const char*>(&size), 8);
  stream << header;
  for (size_t i = 0; i < data_bytes; ++i) stream.put(static_cast<char>(i));
  return path;
}

TEST(Safetensors, ReadsSharedOpenCLIPFixturesWithStoredDtypes) {
  const std::pair<const char*, torch::ScalarType> models[] = {
      {"vit-tiny-quickgelu", torch::kFloat32},
      {"vit-tiny-gelu-p16", torch::kFloat16},
      {"rn-tiny-quickgelu", torch::kBFloat16},
  };
  for (const auto& [model, dtype] : models) {
    auto path = shared_path(std::string("fixtures/open_clip-2.30.0/") + model +
                            "/open_clip_model.safetensors");
    Checkpoint checkpoint = read_checkpoint(path);
    EXPECT_EQ(checkpoint.format, "safetensors");
    EXPECT_EQ(checkpoint.path, path);
    ASSERT_TRUE(checkpoint.tensors.count("logit_scale")) << model;
    ASSERT_TRUE(checkpoint.tensors.count("visual.conv1.weight")) << model;
    EXPECT_EQ(checkpoint.tensors.at("visual.conv1.weight").scalar_type(), dtype) << model;
    for (const auto& [name, tensor] : checkpoint.tensors) {
      // BatchNorm's num_batches_tracked is the one integer tensor.
      if (name.ends_with("num_batches_tracked")) {
        EXPECT_EQ(tensor.scalar_type(), torch::kInt64) << name;
      } else {
        EXPECT_EQ(tensor.scalar_type(), dtype) << model << " " << name;
        EXPECT_TRUE(torch::isfinite(tensor).all().item<bool>()) << model << " " << name;
      }
    }
  }
}

TEST(Safetensors, ReadsMetadataOfHuggingFaceFile) {
  auto checkpoint =
      read_safetensors(shared_path("fixtures/hf-format/vit-tiny-quickgelu/model.safetensors"));
  EXPECT_EQ(checkpoint.metadata.at("format"), "pt");
  EXPECT_EQ(checkpoint.tensors.size(), 78u);
}

TEST(Safetensors, RoundTripsEveryDtypeAndMetadata) {
  auto folder = make_temp_dir();
  std::map<std::string, torch::Tensor> tensors = {
      {"f32", torch::randn({3, 4})},
      {"f16", torch::randn({5}).to(torch::kFloat16)},
      {"bf16", torch::randn({2, 2, 2}).to(torch::kBFloat16)},
      {"f64", torch::randn({1}, torch::kFloat64)},
      {"i64", torch::arange(7, torch::kInt64)},
      {"i32", torch::arange(3, torch::kInt32)},
      {"u8", torch::arange(9, torch::kUInt8).reshape({3, 3})},
      {"bool", torch::tensor({true, false, true})},
      {"scalar", torch::tensor(2.5f)},
      {"empty", torch::empty({0, 3})},
      {"strided", torch::arange(12, torch::kFloat32).reshape({3, 4}).t()},
  };
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "caf\u00e9 \"q\""}};
  write_safetensors(folder / "a.safetensors", tensors, metadata);
  auto back = read_checkpoint(folder / "a.safetensors");
  EXPECT_EQ(back.metadata, metadata);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const auto& read = back.tensors.at(name);
    EXPECT_EQ(read.scalar_type(), tensor.scalar_type()) << name;
    EXPECT_EQ(read.sizes(), tensor.sizes()) << name;
    EXPECT_TRUE(torch::equal(read, tensor)) << name;
  }

  // Deterministic and padded: writing again gives the same bytes.
  write_safetensors(folder / "b.safetensors", back.tensors, back.metadata);
  std::ifstream a(folder / "a.safetensors", std::ios::binary),
      b(folder / "b.safetensors", std::ios::binary);
  std::string bytes_a((std::istreambuf_iterator<char>(a)), {});
  std::string bytes_b((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(bytes_a, bytes_b);
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes_a.data(), 8);
  EXPECT_EQ(header_size % 8, 0u);
}

TEST(Safetensors, InteroperatesWithPythonSafetensors) {
  if (std::system("/usr/bin/python3 -c 'import safetensors.torch' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no safetensors package (pip install safetensors) to "
                    "write and read reference files";
  }
  auto folder = make_temp_dir();
  auto from_python = folder / "python.safetensors";
  auto from_clipscope = folder / "clipscope.safetensors";
  write_safetensors(from_clipscope, {{"x", torch::arange(6, torch::kFloat16).reshape({2, 3})}},
                    {{"format", "pt"}});
  std::string script =
      "import sys, torch\n"
      "from safetensors.torch import save_file, load_file\n"
      "save_file({'a': torch.arange(6, dtype=torch.float32).reshape(2, 3),\n"
      "           'b': torch.arange(4, dtype=torch.bfloat16), 'c': torch.tensor([1, 2])},\n"
      "          sys.argv[1], metadata={'format': 'pt'})\n"
      "x = load_file(sys.argv[2])['x']\n"
      "assert x.dtype == torch.float16 and x.tolist() == [[0, 1, 2], [3, 4, 5]], x\n";
  std::ofstream(folder / "interop.py") << script;
  std::string command = "/usr/bin/python3 " + (folder / "interop.py").string() + " " +
                        from_python.string() + " " + from_clipscope.string();
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  Checkpoint checkpoint = read_safetensors(from_python);
  EXPECT_EQ(checkpoint.metadata.at("format"), "pt");
  EXPECT_TRUE(
      torch::equal(checkpoint.tensors.at("a"), torch::arange(6, torch::kFloat32).reshape({2, 3})));
  EXPECT_TRUE(torch::equal(checkpoint.tensors.at("b"), torch::arange(4, torch::kBFloat16)));
  EXPECT_TRUE(torch::equal(checkpoint.tensors.at("c"), torch::tensor({1, 2}, torch::kInt64)));
}

TEST(Safetensors, InPlaceWritesLeaveFileUnchanged) {
  auto folder = make_temp_dir();
  write_safetensors(folder / "m.safetensors", {{"w", torch::ones({64})}});
  {
    auto checkpoint = read_safetensors(folder / "m.safetensors");
    checkpoint.tensors.at("w").mul_(3);
    EXPECT_EQ(checkpoint.tensors.at("w")[0].item<float>(), 3.0f);
  }
  EXPECT_EQ(read_safetensors(folder / "m.safetensors").tensors.at("w")[0].item<float>(), 1.0f);
}

TEST(Safetensors, TensorsOutliveTheCheckpoint) {
  auto folder = make_temp_dir();
  write_safetensors(folder / "k.safetensors", {{"w", torch::full({100}, 7.0f)}});
  torch::Tensor kept = read_safetensors(folder / "k.safetensors").tensors.at("w");
  EXPECT_EQ(kept.sum().item<float>(), 700.0f);
}

TEST(Safetensors, StripsModulePrefixWhenAllNamesHaveIt) {
  auto folder = make_temp_dir();
  write_safetensors(folder / "p.safetensors",
                    {{"module.a", torch::ones({1})}, {"module.b", torch::ones({1})}});
  auto stripped = read_safetensors(folder / "p.safetensors");
  EXPECT_TRUE(stripped.tensors.count("a"));
  EXPECT_TRUE(stripped.tensors.count("b"));
  write_safetensors(folder / "q.safetensors",
                    {{"module.a", torch::ones({1})}, {"b", torch::ones({1})}});
  auto kept = read_safetensors(folder / "q.safetensors");
  EXPECT_TRUE(kept.tensors.count("module.a"));
  EXPECT_TRUE(kept.tensors.count("b"));
}

TEST(Safetensors, ReadsUnalignedTensorByCopying) {
  auto folder = make_temp_dir();
  // A U8 tensor of 1 byte puts the F32 tensor at offset 1.
  std::string header =
      R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  auto path = folder / "u.safetensors";
  std::ofstream stream(path, std::ios::binary);
  uint64_t size = header.size();
  stream.write(reinterpret_cast<const char*>(&size), 8);
  stream << header;
  float values[2] = {1.5f, -2.0f};
  stream.put(42);
  stream.write(reinterpret_cast<const char*>(values), sizeof(values));
  stream.close();
  auto checkpoint = read_safetensors(path);
  EXPECT_EQ(checkpoint.tensors.at("a").item<uint8_t>(), 42);
  EXPECT_TRUE(torch::equal(checkpoint.tensors.at("b"), torch::tensor({1.5f, -2.0f})));
}

TEST(Safetensors, RejectsBrokenFilesNamingFileAndProblem) {
  auto folder = make_temp_dir();
  auto read = [](const std::filesystem::path& file) { return read_checkpoint(file); };
  auto read_st = [](const std::filesystem::path& file) { return read_safetensors(file); };
  const auto bad = ErrorKind::kInvalidArgument;
  const std::string f32 = R"("dtype":"F32","shape":[2])";

  {
    auto path = folder / "short.safetensors";
    std::ofstream(path) << "abc";
    expect_error(read_st, path, bad, "fewer than the 8-byte header length");
  }
  expect_error(read, write_raw(folder / "huge.safetensors", "{}", 0, 1ull << 40), bad,
               "exceeds the 100 MB limit");
  expect_error(read, write_raw(folder / "past.safetensors", "{}", 0, 4096), bad,
               "runs past the end of the file");
  expect_error(read, write_raw(folder / "json.safetensors", "{\"a\":", 0), bad, "not valid JSON");
  expect_error(read_st, write_raw(folder / "array.safetensors", "[1,2]", 0), bad,
               "is a JSON array, not an object");
  expect_error(read, write_raw(folder / "entry.safetensors", R"({"a":3})", 0), bad,
               "entry 'a' is a JSON number");
  expect_error(
      read,
      write_raw(folder / "nodtype.safetensors", R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8),
      bad, "entry 'a' has no \"dtype\"");
  expect_error(
      read,
      write_raw(folder / "noshape.safetensors", R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8),
      bad, "entry 'a' has no \"shape\"");
  expect_error(read, write_raw(folder / "nooffsets.safetensors", "{\"a\":{" + f32 + "}}", 8), bad,
               "entry 'a' has no \"data_offsets\"");
  expect_error(read,
               write_raw(folder / "negshape.safetensors",
                         R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
               bad, "not all non-negative integers");
  expect_error(
      read,
      write_raw(folder / "badoff.safetensors", "{\"a\":{" + f32 + ",\"data_offsets\":[0]}}", 8),
      bad, "not a pair of non-negative integers");
  expect_error(
      read,
      write_raw(folder / "reversed.safetensors", "{\"a\":{" + f32 + ",\"data_offsets\":[8,0]}}", 8),
      bad, "begin is after its end");
  expect_error(
      read,
      write_raw(folder / "beyond.safetensors", "{\"a\":{" + f32 + ",\"data_offsets\":[0,8]}}", 4),
      bad, "ending past the data section");
  expect_error(
      read,
      write_raw(folder / "size.safetensors", "{\"a\":{" + f32 + ",\"data_offsets\":[0,12]}}", 12),
      bad, "has shape [2] of F32 (8 bytes) but data_offsets [0, 12] span 12 bytes");
  expect_error(
      read,
      write_raw(folder / "overflow.safetensors",
                R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})",
                8),
      bad, "(too many bytes)");
  expect_error(read,
               write_raw(folder / "overlap.safetensors",
                         "{\"a\":{" + f32 + ",\"data_offsets\":[0,8]},\"b\":{" + f32 +
                             ",\"data_offsets\":[4,12]}}",
                         12),
               bad, "'a' [0, 8] and 'b' [4, 12] overlap");
  expect_error(read,
               write_raw(folder / "dtype.safetensors",
                         R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2),
               ErrorKind::kUnsupported, "has dtype 'F8_E4M3', which clipscope cannot read");
  expect_error(read, write_raw(folder / "meta.safetensors", R"({"__metadata__":{"epoch":3}})", 0),
               bad, "\"__metadata__\" entry 'epoch' is a JSON number, not a string");
  expect_error(read, write_raw(folder / "meta2.safetensors", R"({"__metadata__":[]})", 0), bad,
               "\"__metadata__\" is a JSON array");
  expect_error(read,
               write_raw(folder / "bool.safetensors",
                         R"({"a":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", 3),
               bad, "holds the byte 2 at element 2");
}

TEST(Safetensors, MissingFileIsNotFound) {
  try {
    read_safetensors("/nonexistent/model.safetensors");
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  }
}

TEST(Safetensors, WriterRejectsUnsupportedDtypeAndReservedName) {
  auto folder = make_temp_dir();
  EXPECT_THROW(
      write_safetensors(folder / "c.safetensors", {{"c", torch::ones({2}, torch::kComplexFloat)}}),
      Error);
  EXPECT_THROW(write_safetensors(folder / "m.safetensors", {{"__metadata__", torch::ones({2})}}),
               Error);
  EXPECT_FALSE(std::filesystem::exists(folder / "c.safetensors"));
}

}  // namespace
}  // namespace clipscope::io
