// safetensors reading and writing (https://github.com/huggingface/safetensors, format as of 0.4):
// an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/io/checkpoint.h"
#include "io/checkpoint_internal.h"
#include "io/mapped_file.h"

namespace clipscope::io {

namespace {

// NOTE: safetensors data are little-endian and are used in place, so a big-endian host would
// need byte swapping that clipscope does not do.
static_assert(std::endian::native == std::endian::little, "clipscope assumes a little-endian host");

/// A header larger than this is taken as corruption; real headers are well under 1 MB.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DType {
  std::string_view name;
  torch::ScalarType type;
  int64_t item_size;
};

constexpr DType kDTypes[] = {
    {"F64", torch::kFloat64, 8},   {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

const DType* find_dtype(std::string_view name) {
  for (const auto& dtype : kDTypes) {
    if (dtype.name == name) return &dtype;
  }
  return nullptr;
}

const DType* find_dtype(torch::ScalarType type) {
  for (const auto& dtype : kDTypes) {
    if (dtype.type == type) return &dtype;
  }
  return nullptr;
}

uint64_t read_le64(const uint8_t* bytes) {
  uint64_t value = 0;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

/// One tensor entry of the header after validation.
struct Entry {
  std::string name;
  const DType* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

class HeaderReader {
 public:
  HeaderReader(std::string file, uint64_t data_size)
      : file_(std::move(file)), data_size_(data_size) {}

  Entry entry(const std::string& name, const nlohmann::json& value) const {
    if (!value.is_object()) {
      bad(name, fmt::format("is a JSON {}, not an object", value.type_name()));
    }
    Entry entry;
    entry.name = name;

    auto dtype = value.find("dtype");
    if (dtype == value.end()) bad(name, "has no \"dtype\"");
    if (!dtype->is_string()) bad(name, "has a \"dtype\" that is not a string");
    std::string dtype_name = dtype->get<std::string>();
    entry.dtype = find_dtype(dtype_name);
    if (entry.dtype == nullptr) {
      fail(ErrorKind::kUnsupported,
           "'{}': tensor '{}' has dtype '{}', which clipscope cannot read (supported: F64, F32, "
           "F16, "
           "BF16, I64, I32, I16, I8, U8, BOOL); convert the checkpoint to one of these",
           file_, detail::quote_for_message(name), detail::quote_for_message(dtype_name));
    }

    auto shape = value.find("shape");
    if (shape == value.end()) bad(name, "has no \"shape\"");
    if (!shape->is_array()) bad(name, "has a \"shape\" that is not an array");
    uint64_t count = 1;
    bool overflow = false;
    for (const auto& dimension : *shape) {
      if (!dimension.is_number_unsigned()) {
        bad(name, fmt::format("has shape {}, whose entries are not all non-negative integers",
                              detail::quote_for_message(shape->dump())));
      }
      auto size = dimension.get<uint64_t>();
      if (size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (size != 0 && count > std::numeric_limits<uint64_t>::max() / size)) {
        overflow = true;
      } else {
        count *= size;
      }
      entry.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(size, INT64_MAX)));
    }

    auto offsets = value.find("data_offsets");
    if (offsets == value.end()) bad(name, "has no \"data_offsets\"");
    if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned()) {
      bad(name, fmt::format("has data_offsets {}, not a pair of non-negative integers",
                            detail::quote_for_message(offsets->dump())));
    }
    entry.begin = (*offsets)[0].get<uint64_t>();
    entry.end = (*offsets)[1].get<uint64_t>();
    if (entry.begin > entry.end) {
      bad(name, fmt::format("has data_offsets [{}, {}] whose begin is after its end", entry.begin,
                            entry.end));
    }
    if (entry.end > data_size_) {
      bad(name, fmt::format("has data_offsets [{}, {}] ending past the data section ({} bytes); "
                            "the file is truncated or corrupt",
                            entry.begin, entry.end, data_size_));
    }
    auto item_size = static_cast<uint64_t>(entry.dtype->item_size);
    if (overflow || count > std::numeric_limits<uint64_t>::max() / item_size ||
        count * item_size != entry.end - entry.begin) {
      bad(name, fmt::format("has shape {} of {} ({} bytes) but data_offsets [{}, {}] span {} bytes",
                            detail::quote_for_message(shape->dump()), entry.dtype->name,
                            overflow ? std::string("too many") : std::to_string(count * item_size),
                            entry.begin, entry.end, entry.end - entry.begin));
    }
    return entry;
  }

  std::map<std::string, std::string> metadata(const nlohmann::json& value) const {
    if (!value.is_object()) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': safetensors \"__metadata__\" is a JSON {}, not an object of strings", file_,
           value.type_name());
    }
    std::map<std::string, std::string> result;
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) {
        fail(ErrorKind::kInvalidArgument,
             "'{}': safetensors \"__metadata__\" entry '{}' is a JSON {}, not a string", file_,
             detail::quote_for_message(key), item.type_name());
      }
      result[key] = item.get<std::string>();
    }
    return result;
  }

 private:
  [[noreturn]] void bad(const std::string& name, const std::string& problem) const {
    fail(ErrorKind::kInvalidArgument, "'{}': safetensors header entry '{}' {}", file_,
         detail::quote_for_message(name), problem);
  }

  std::string file_;
  uint64_t data_size_;
};

torch::Tensor make_tensor(const Entry& entry, const std::shared_ptr<detail::MappedFile>& mapping,
                          uint64_t data_start, const std::string& file) {
  auto options = torch::TensorOptions().dtype(entry.dtype->type);
  if (entry.begin == entry.end) {
    return torch::empty(entry.shape, options);
  }
  uint8_t* data = mapping->mutable_data() + data_start + entry.begin;
  auto byte_count = static_cast<size_t>(entry.end - entry.begin);

  if (entry.dtype->type == torch::kBool) {
    for (size_t i = 0; i < byte_count; ++i) {
      if (data[i] > 1) {
        fail(ErrorKind::kInvalidArgument,
             "'{}': BOOL tensor '{}' holds the byte {} at element {}; booleans must be 0 or 1",
             file, detail::quote_for_message(entry.name), data[i], i);
      }
    }
  }

  // NOTE: a tensor whose data are not aligned to its item size in the file (allowed by the format,
  // never produced by the safetensors library) is copied instead of mapped, since unaligned loads
  // are undefined behaviour.
  if (reinterpret_cast<uintptr_t>(data) % static_cast<uintptr_t>(entry.dtype->item_size) != 0) {
    auto tensor = torch::empty(entry.shape, options);
    std::memcpy(tensor.data_ptr(), data, byte_count);
    return tensor;
  }
  return torch::from_blob(
      data, entry.shape, [mapping](void*) {}, options);
}

}  // namespace

Checkpoint read_safetensors(const std::filesystem::path& file) {
  auto mapping = detail::MappedFile::open(file);
  auto bytes = mapping->bytes();
  const std::string name = file.string();

  // header length
  if (bytes.size() < 8) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' is not a safetensors file: it has {} bytes, fewer than the 8-byte header length",
         name, bytes.size());
  }
  uint64_t header_size = read_le64(bytes.data());
  if (header_size > kMaxHeaderBytes) {
    fail(ErrorKind::kInvalidArgument,
         "'{}': safetensors header length {} exceeds the {} MB limit; the file is corrupt or not a "
         "safetensors file",
         name, header_size, kMaxHeaderBytes >> 20);
  }
  if (header_size > bytes.size() - 8) {
    fail(ErrorKind::kInvalidArgument,
         "'{}': safetensors header length {} runs past the end of the file ({} bytes); the file is "
         "truncated",
         name, header_size, bytes.size());
  }

  // header JSON
  const char* header_begin = reinterpret_cast<const char*>(bytes.data()) + 8;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_begin, header_begin + header_size);
  } catch (const nlohmann::json::parse_error& error) {
    fail(ErrorKind::kInvalidArgument,
         "'{}': safetensors header is not valid JSON (error at byte {} of {}); the file is corrupt",
         name, error.byte, header_size);
  }
  if (!header.is_object()) {
    fail(ErrorKind::kInvalidArgument, "'{}': safetensors header is a JSON {}, not an object", name,
         header.type_name());
  }

  // entries
  uint64_t data_start = 8 + header_size;
  HeaderReader reader(name, bytes.size() - data_start);
  Checkpoint checkpoint;
  checkpoint.format = "safetensors";
  checkpoint.path = file;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      checkpoint.metadata = reader.metadata(value);
    } else {
      entries.push_back(reader.entry(key, value));
    }
  }

  // NOTE: overlapping ranges are rejected but gaps between ranges are allowed, although the
  // safetensors library rejects both. A gap cannot make a tensor read wrong bytes.
  std::vector<const Entry*> by_offset;
  for (const auto& entry : entries) {
    if (entry.begin != entry.end) by_offset.push_back(&entry);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': safetensors tensors '{}' [{}, {}] and '{}' [{}, {}] overlap; the file is corrupt",
           name, detail::quote_for_message(by_offset[i - 1]->name), by_offset[i - 1]->begin,
           by_offset[i - 1]->end, detail::quote_for_message(by_offset[i]->name),
           by_offset[i]->begin, by_offset[i]->end);
    }
  }

  for (const auto& entry : entries) {
    checkpoint.tensors[entry.name] = make_tensor(entry, mapping, data_start, name);
  }
  detail::strip_training_prefix(checkpoint.tensors);
  return checkpoint;
}

void write_safetensors(const std::filesystem::path& file,
                       const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  auto json_string = [&](const std::string& text) {
    try {
      return nlohmann::json(text).dump();
    } catch (const nlohmann::json::type_error&) {
      fail(ErrorKind::kInvalidArgument,
           "cannot write '{}': the name or metadata string '{}' is not valid UTF-8", file.string(),
           detail::quote_for_message(text));
    }
  };

  // tensors in name order
  std::vector<torch::Tensor> data;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      header += (first ? "" : ",") + json_string(key) + ":" + json_string(value);
      first = false;
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") {
      fail(
          ErrorKind::kInvalidArgument,
          "cannot write '{}': a tensor may not be named \"__metadata__\"; pass metadata separately",
          file.string());
    }
    const DType* dtype = find_dtype(tensor.scalar_type());
    if (dtype == nullptr) {
      fail(
          ErrorKind::kUnsupported,
          "cannot write '{}': tensor '{}' has dtype {}, which safetensors output does not support; "
          "convert it to float32, float16, bfloat16, float64 or an integer type",
          file.string(), name, c10::toString(tensor.scalar_type()));
    }
    auto contiguous = tensor.detach().to(torch::kCPU).to_dense().contiguous();
    auto byte_count = static_cast<uint64_t>(contiguous.nbytes());
    if (header.size() > 1) header += ',';
    header += json_string(name) + ":{\"dtype\":\"" + std::string(dtype->name) + "\",\"shape\":[";
    for (int64_t i = 0; i < contiguous.dim(); ++i) {
      if (i > 0) header += ',';
      header += std::to_string(contiguous.size(i));
    }
    header += fmt::format("],\"data_offsets\":[{},{}]}}", offset, offset + byte_count);
    offset += byte_count;
    data.push_back(std::move(contiguous));
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  // write
  AtomicFile output(file);
  uint64_t header_size = header.size();
  char length[8];
  std::memcpy(length, &header_size, sizeof(length));
  output.stream().write(length, sizeof(length));
  output.stream().write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& tensor : data) {
    if (tensor.nbytes() == 0) continue;
    output.stream().write(static_cast<const char*>(tensor.data_ptr()),
                          static_cast<std::streamsize>(tensor.nbytes()));
  }
  output.commit();
}

}  // namespace clipscope::io
