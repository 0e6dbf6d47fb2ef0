#include <gtest/gtest.h>
#include <zip.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "clipscope/error.h"
#include "clipscope/io/checkpoint.h"
#include "expect_error.h"
#include "test_support.h"

namespace clipscope::io {
namespace {

using clipscope::testing::expect_error;
using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

// Fixtures written by tests/fixtures/make_checkpoints.py.
std::filesystem::path archive_fixture(const std::string& name) {
  return std::filesystem::path(CLIPSCOPE_SOURCE_DIR) / "tests/fixtures/checkpoints" / name;
}

/// Returns the names and shapes that make_checkpoints.py recorded for `file`.
std::map<std::string, std::vector<int64_t>> manifest_shapes(const std::string& file) {
  std::ifstream stream(archive_fixture("manifest.json"));
  auto manifest = nlohmann::json::parse(stream);
  return manifest.at("files").at(file).get<std::map<std::string, std::vector<int64_t>>>();
}

std::map<std::string, std::vector<int64_t>> shapes_of(const Checkpoint& checkpoint) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [name, tensor] : checkpoint.tensors) {
    shapes[name] = std::vector<int64_t>(tensor.sizes().begin(), tensor.sizes().end());
  }
  return shapes;
}

using Entries = std::vector<std::pair<std::string, std::string>>;

/// Returns the bytes of a zip archive with stored (uncompressed) entries.
std::string zip_bytes(const Entries& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  EXPECT_NE(archive, nullptr);
  for (const auto& [name, data] : entries) {
    zip_source_t* source = zip_source_buffer(archive, data.data(), data.size(), 0);
    zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE);
    EXPECT_GE(index, 0);
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  EXPECT_EQ(zip_close(archive), 0);
  std::string bytes;
  zip_source_open(buffer);
  zip_source_seek(buffer, 0, SEEK_END);
  bytes.resize(static_cast<size_t>(zip_source_tell(buffer)));
  zip_source_seek(buffer, 0, SEEK_SET);
  zip_source_read(buffer, bytes.data(), bytes.size());
  zip_source_close(buffer);
  zip_source_free(buffer);
  zip_error_fini(&error);
  return bytes;
}

/// Writes `bytes` over the start of `path`, which must not be longer than `bytes`. Skipping the
/// truncation is much faster on file systems that discard freed blocks.
void overwrite(const std::filesystem::path& path, const std::string& bytes) {
  if (!std::filesystem::exists(path)) std::ofstream(path, std::ios::binary).close();
  ASSERT_LE(std::filesystem::file_size(path), bytes.size());
  std::fstream stream(path, std::ios::in | std::ios::out | std::ios::binary);
  stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_zip(const std::filesystem::path& path, const Entries& entries) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << zip_bytes(entries);
}

/// Reads every entry of a zip archive.
Entries read_zip(const std::filesystem::path& path) {
  Entries entries;
  int code = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &code);
  EXPECT_NE(archive, nullptr);
  for (zip_int64_t i = 0; i < zip_get_num_entries(archive, 0); ++i) {
    zip_stat_t stat;
    zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat);
    std::string data(stat.size, '\0');
    zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    zip_fread(file, data.data(), data.size());
    zip_fclose(file);
    entries.emplace_back(stat.name, data);
  }
  zip_discard(archive);
  return entries;
}

/// Builds pickle bytes opcode by opcode.
struct Pickle {
  std::string bytes = "\x80\x02";

  Pickle& op(const std::string& opcode) { return bytes += opcode, *this; }
  Pickle& text(const std::string& value) {
    bytes += 'X';
    uint32_t size = static_cast<uint32_t>(value.size());
    bytes.append(reinterpret_cast<const char*>(&size), 4);
    return op(value);
  }
  Pickle& integer(uint8_t value) { return op(std::string("K") + static_cast<char>(value)); }
  Pickle& global(const std::string& module, const std::string& name) {
    return op("c" + module + "\n" + name + "\n");
  }
  /// Pushes _rebuild_tensor_v2(storage `key` of `numel` floats, offset, (size,), (1,), False,
  /// OrderedDict()).
  Pickle& tensor(const std::string& key, uint8_t numel, uint8_t offset, uint8_t size) {
    global("torch._utils", "_rebuild_tensor_v2").op("((").text("storage");
    global("torch", "FloatStorage").text(key).text("cpu").integer(numel).op("tQ");
    integer(offset).integer(size).op("\x85").integer(1).op("\x85\x89");
    return global("collections", "OrderedDict").op(")Rt").op("R");
  }
  std::string done() { return bytes + "."; }
};

/// Returns the entries of a torch.save-like archive around `pickle`, with `storages` storages
/// "0", "1", ... of `floats` zero floats each.
Entries archive_with(const std::string& pickle, int storages = 1, size_t floats = 4) {
  Entries entries = {{"archive/data.pkl", pickle}, {"archive/version", "3\n"}};
  for (int i = 0; i < storages; ++i) {
    entries.emplace_back("archive/data/" + std::to_string(i), std::string(floats * 4, '\0'));
  }
  return entries;
}

TEST(TorchArchive, OpenCLIPBinMatchesItsSafetensors) {
  auto folder = shared_path("fixtures/open_clip-2.30.0/vit-tiny-gelu-p16");
  Checkpoint bin = read_checkpoint(folder / "open_clip_pytorch_model.bin");
  Checkpoint safetensors = read_checkpoint(folder / "open_clip_model.safetensors");
  EXPECT_EQ(bin.format, "pytorch-zip");
  EXPECT_TRUE(bin.metadata.empty());
  ASSERT_EQ(shapes_of(bin), shapes_of(safetensors));
  for (const auto& [name, tensor] : bin.tensors) {
    const auto& expected = safetensors.tensors.at(name);
    EXPECT_EQ(tensor.scalar_type(), torch::kFloat16) << name;
    EXPECT_EQ(tensor.scalar_type(), expected.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(tensor, expected)) << name;
  }
}

TEST(TorchArchive, TrainingCheckpointGivesStateDictWithoutModulePrefix) {
  Checkpoint checkpoint = read_checkpoint(archive_fixture("training_checkpoint.pt"));
  EXPECT_EQ(checkpoint.format, "pytorch-zip");
  EXPECT_EQ(shapes_of(checkpoint), manifest_shapes("training_checkpoint.pt"));
  EXPECT_EQ(checkpoint.tensors.at("1.num_batches_tracked").scalar_type(), torch::kInt64);
  EXPECT_EQ(checkpoint.tensors.at("1.num_batches_tracked").item<int64_t>(), 1);
}

TEST(TorchArchive, TorchScriptGivesStateDictNamesAndValues) {
  Checkpoint scripted = read_checkpoint(archive_fixture("scripted.pt"));
  EXPECT_EQ(scripted.format, "torchscript");
  // The plain tensor attribute Block.mask is stored in the archive but is not state.
  EXPECT_EQ(shapes_of(scripted), manifest_shapes("scripted.pt"));
  EXPECT_FALSE(scripted.tensors.count("blocks.0.mask"));

  Checkpoint plain = read_checkpoint(archive_fixture("scripted_state_dict.pt"));
  ASSERT_EQ(shapes_of(plain), shapes_of(scripted));
  for (const auto& [name, tensor] : scripted.tensors) {
    EXPECT_EQ(tensor.scalar_type(), plain.tensors.at(name).scalar_type()) << name;
    EXPECT_TRUE(torch::equal(tensor, plain.tensors.at(name))) << name;
  }
  EXPECT_TRUE(torch::equal(scripted.tensors.at("blocks.1.scale"), torch::full({3}, 0.5f)));
}

TEST(TorchArchive, TensorsSharingStorageKeepOffsetsAndStrides) {
  Checkpoint checkpoint = read_checkpoint(archive_fixture("shared_storage.pt"));
  const auto& t = checkpoint.tensors;
  auto base = torch::arange(24, torch::kFloat32);
  EXPECT_TRUE(torch::equal(t.at("whole"), base));
  EXPECT_TRUE(torch::equal(t.at("slice"), base.slice(0, 5, 11)));
  EXPECT_TRUE(torch::equal(t.at("matrix"), base.slice(0, 4, 16).view({3, 4})));
  EXPECT_TRUE(torch::equal(t.at("transposed"), base.slice(0, 4, 16).view({3, 4}).t()));
  EXPECT_TRUE(torch::equal(t.at("half"), torch::arange(4, torch::kFloat16)));
  EXPECT_TRUE(torch::equal(t.at("parameter"), torch::arange(3, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(t.at("flags"), torch::tensor({true, false, true})));
  EXPECT_EQ(t.at("count").dim(), 0);
  EXPECT_EQ(t.at("count").item<int64_t>(), 7);
  // One storage, read once.
  EXPECT_EQ(static_cast<float*>(t.at("slice").data_ptr()), t.at("whole").data_ptr<float>() + 5);
}

TEST(TorchArchive, RejectsOsSystemGlobal) {
  auto read = [](const std::filesystem::path& file) { return read_checkpoint(file); };
  expect_error(read, archive_fixture("forbidden_global.pt"), ErrorKind::kInvalidArgument,
               "names the Python global 'posix.system', which is not a tensor or container type; "
               "clipscope never runs code from checkpoints");
}

TEST(TorchArchive, LegacyTorchSaveIsUnsupportedWithResaveHint) {
  auto read = [](const std::filesystem::path& file) { return read_checkpoint(file); };
  expect_error(read, archive_fixture("legacy.pt"), ErrorKind::kUnsupported, "is a legacy torch.save file");
  expect_error(read, archive_fixture("legacy.pt"), ErrorKind::kUnsupported, "re-save it");
}

TEST(TorchArchive, RejectsCorruptHandWrittenPickles) {
  auto folder = make_temp_dir();
  auto read = [](const std::filesystem::path& file) { return read_torch_archive(file); };
  const auto bad = ErrorKind::kInvalidArgument;
  auto write = [&](const std::string& name, const Entries& entries) {
    write_zip(folder / name, entries);
    return folder / name;
  };
  auto state_dict = [](uint8_t numel, uint8_t offset, uint8_t size) {
    return Pickle().op("}(").text("w").tensor("0", numel, offset, size).op("u").done();
  };

  Checkpoint good = read(write("good.pt", archive_with(state_dict(4, 1, 3))));
  EXPECT_TRUE(torch::equal(good.tensors.at("w"), torch::zeros({3})));

  expect_error(read, write("eval.pt", archive_with(Pickle().global("builtins", "eval").done())),
               bad,
               "names the Python global 'builtins.eval', which is not a tensor or container type");
  expect_error(read, write("past.pt", archive_with(state_dict(4, 2, 3))), bad,
               "reaches past its storage '0' of 4 elements");
  expect_error(read, write("size.pt", archive_with(state_dict(4, 0, 4), 1, 3)), bad,
               "storage record 'archive/data/0' has 12 bytes but data.pkl describes 4 elements");
  expect_error(read, write("nostorage.pt", archive_with(state_dict(4, 0, 4), 0)), bad,
               "storage record 'archive/data/0' named by data.pkl is missing");
  expect_error(read, write("noversion.pt", {{"archive/data.pkl", state_dict(4, 0, 4)}}), bad,
               "has no version record ('archive/version')");
  expect_error(read, write("nopkl.pt", {{"archive/version", "3"}}), bad,
               "without a '<name>/data.pkl' record");
  expect_error(read, write("opcode.pt", archive_with(Pickle().op("}I").done())), bad,
               "opcode 0x49 is not one torch.save or torch.jit.save writes");
  expect_error(read, write("underflow.pt", archive_with(Pickle().op("0").done())), bad,
               "it pops from an empty stack");
  expect_error(read, write("memo.pt", archive_with(Pickle().op("h\x05.").done())), bad,
               "memo entry 5 is read before it is set");
  expect_error(read, write("cut.pt", archive_with(Pickle().text("abc").bytes.substr(0, 9))), bad,
               "needs 3 more bytes but only 2 remain");
  expect_error(read, write("list.pt", archive_with(Pickle().op("]").done())), bad,
               "holds a list at the top level, not a dict of tensors");
  expect_error(
      read,
      write("empty.pt", archive_with(Pickle().op("}").text("epoch").integer(3).op("s").done())),
      bad, "holds no tensors at the top level or under \"state_dict\" (keys: 'epoch')");
  Entries big_endian = archive_with(state_dict(4, 0, 4));
  big_endian.emplace_back("archive/byteorder", "big");
  expect_error(read, write("big.pt", big_endian), ErrorKind::kUnsupported, "byte order 'big'");
}

TEST(TorchArchive, TruncatedAndCorruptZipsAreRejected) {
  auto folder = make_temp_dir();
  auto read = [](const std::filesystem::path& file) { return read_checkpoint(file); };
  auto source = archive_fixture("training_checkpoint.pt");
  std::filesystem::copy_file(source, folder / "cut.pt");
  std::filesystem::resize_file(folder / "cut.pt", std::filesystem::file_size(source) / 2);
  expect_error(read, folder / "cut.pt", ErrorKind::kInvalidArgument,
               "is not an intact zip archive");

  // A flipped byte inside a stored storage record fails its CRC.
  auto entries = read_zip(archive_fixture("shared_storage.pt"));
  write_zip(folder / "crc.pt", entries);
  std::string bytes;
  {
    std::ifstream in(folder / "crc.pt", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto storage = std::find_if(entries.begin(), entries.end(),
                              [](const auto& entry) { return entry.first.ends_with("data/0"); });
  ASSERT_NE(storage, entries.end());
  size_t at = bytes.find(storage->second.substr(0, 16));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4] ^= 0x40;
  std::ofstream(folder / "crc.pt", std::ios::binary) << bytes;
  expect_error(read, folder / "crc.pt", ErrorKind::kInvalidArgument, "cannot be read");
}

TEST(TorchArchive, MutatedPicklesNeverCrash) {
  // Every single-byte change of a real data.pkl either reads or throws Error.
  auto folder = make_temp_dir();
  Entries entries = read_zip(archive_fixture("shared_storage.pt"));
  auto pickle = std::find_if(entries.begin(), entries.end(),
                             [](const auto& entry) { return entry.first.ends_with("data.pkl"); });
  ASSERT_NE(pickle, entries.end());
  const std::string original = pickle->second;
  const uint8_t replacements[] = {0x00, 0x01, 0x7f, 0xff, '(', 't', 'R', 'u'};
  int rejected = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    for (uint8_t replacement : replacements) {
      if (static_cast<uint8_t>(original[i]) == replacement) continue;
      pickle->second = original;
      pickle->second[i] = static_cast<char>(replacement);
      overwrite(folder / "m.pt", zip_bytes(entries));
      try {
        read_checkpoint(folder / "m.pt");
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace clipscope::io
