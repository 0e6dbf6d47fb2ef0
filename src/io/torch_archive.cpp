// Reading torch.save zip archives (PyTorch 1.6+) and TorchScript archives: a zip holding
// <prefix>/data.pkl, <prefix>/data/<key> storages and <prefix>/version; TorchScript adds
// <prefix>/constants.pkl and <prefix>/code/. The pickle is read by the restricted pickle.h.
#include <zip.h>

#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/io/checkpoint.h"
#include "io/checkpoint_internal.h"
#include "io/pickle.h"

namespace clipscope::io {

namespace {

using detail::PickleValue;
using Kind = PickleValue::Kind;

/// Cap on the pickle and code records read into memory; real ones are a few MB at most.
constexpr uint64_t kMaxRecordBytes = 256ull << 20;
/// Deeper module nesting than this is taken as a malformed (or cyclic) TorchScript archive.
constexpr int kMaxModuleDepth = 64;
/// Cap on module objects visited while flattening, against archives sharing submodules many times.
constexpr int64_t kMaxModuleVisits = 1'000'000;

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

/// A zip archive opened read-only with libzip, which checks the central directory against the
/// local headers (ZIP_CHECKCONS) and each entry's CRC when it is read to the end.
class ZipArchive {
 public:
  explicit ZipArchive(const std::filesystem::path& file) : file_(file.string()) {
    detail::check_checkpoint_file(file);
    std::error_code ignored;
    file_size_ = std::filesystem::file_size(file, ignored);
    int code = 0;
    zip_ = zip_open(file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (zip_ == nullptr) {
      if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_MEMORY) {
        fail(ErrorKind::kIo, "cannot read '{}': {}", file_, zip_error_text(code));
      }
      fail(ErrorKind::kInvalidArgument,
           "'{}' is not an intact zip archive (libzip: {}), so not a readable torch.save or "
           "TorchScript file; it is truncated, corrupt or of another format",
           file_, zip_error_text(code));
    }
  }

  ~ZipArchive() { zip_discard(zip_); }
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    zip_int64_t count = zip_get_num_entries(zip_, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
      const char* name = zip_get_name(zip_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
      if (name != nullptr) result.emplace_back(name);
    }
    return result;
  }

  std::optional<zip_uint64_t> locate(const std::string& name) const {
    zip_int64_t index = zip_name_locate(zip_, name.c_str(), ZIP_FL_ENC_RAW);
    if (index < 0) return std::nullopt;
    return static_cast<zip_uint64_t>(index);
  }

  /// Uncompressed size of an entry, checked against what its compressed size can hold.
  uint64_t size(zip_uint64_t index, const std::string& name) const {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(zip_, index, 0, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0 ||
        (stat.valid & ZIP_STAT_COMP_SIZE) == 0) {
      fail(ErrorKind::kInvalidArgument, "'{}': zip entry '{}' has no readable size", file_,
           detail::quote_for_message(name));
    }
    // Deflate expands at most about 1032:1; a larger claim is a corrupt directory.
    if (stat.comp_size > file_size_ || stat.size / 1032 > stat.comp_size + 1) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': zip entry '{}' claims {} bytes from {} compressed bytes in a file of {} bytes; "
           "the archive is corrupt",
           file_, detail::quote_for_message(name), stat.size, stat.comp_size, file_size_);
    }
    return stat.size;
  }

  /// Reads exactly `count` bytes of an entry (its whole content) into `buffer`.
  void read_into(zip_uint64_t index, const std::string& name, void* buffer, uint64_t count) {
    zip_file_t* entry = zip_fopen_index(zip_, index, 0);
    if (entry == nullptr) {
      fail(ErrorKind::kInvalidArgument, "'{}': cannot open zip entry '{}': {}", file_,
           detail::quote_for_message(name), zip_strerror(zip_));
    }
    auto* bytes = static_cast<char*>(buffer);
    uint64_t done = 0;
    std::string problem;
    while (problem.empty()) {
      // Reading one byte past the end makes libzip check the CRC and reject a longer entry.
      char extra = 0;
      bool at_end = done == count;
      zip_int64_t got = zip_fread(entry, at_end ? &extra : bytes + done, at_end ? 1 : count - done);
      if (got < 0) {
        problem = zip_file_strerror(entry);
      } else if (got == 0) {
        if (!at_end) problem = fmt::format("it ends after {} of {} bytes", done, count);
        break;
      } else if (at_end) {
        problem = fmt::format("it holds more than the expected {} bytes", count);
      } else {
        done += static_cast<uint64_t>(got);
      }
    }
    zip_fclose(entry);
    if (!problem.empty()) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': zip entry '{}' cannot be read ({}); the file is truncated or corrupt", file_,
           detail::quote_for_message(name), problem);
    }
  }

  std::string read_record(const std::string& name) {
    auto index = locate(name);
    if (!index) {
      fail(ErrorKind::kInvalidArgument, "'{}': the archive has no record '{}'", file_,
           detail::quote_for_message(name));
    }
    uint64_t count = size(*index, name);
    if (count > kMaxRecordBytes) {
      fail(ErrorKind::kInvalidArgument, "'{}': record '{}' has {} bytes, more than the {} MB limit",
           file_, detail::quote_for_message(name), count, kMaxRecordBytes >> 20);
    }
    std::string text(count, '\0');
    read_into(*index, name, text.data(), count);
    return text;
  }

 private:
  std::string file_;
  uint64_t file_size_ = 0;
  zip_t* zip_ = nullptr;
};

/// The parameter and buffer names of one TorchScript class, from its `code/` source.
struct ClassInfo {
  bool is_module = false;  ///< `class Name(Module):`; script classes hold no state.
  std::set<std::string> parameters;
  std::set<std::string> buffers;
  bool has_buffers = false;
};

/// Parses `__parameters__ = ["a", "b", ]` into names.
std::set<std::string> parse_name_list(std::string_view line) {
  std::set<std::string> names;
  size_t position = line.find('[');
  while (position != std::string_view::npos) {
    size_t open = line.find('"', position);
    if (open == std::string_view::npos) break;
    size_t close = line.find('"', open + 1);
    if (close == std::string_view::npos) break;
    names.emplace(line.substr(open + 1, close - open - 1));
    position = close + 1;
  }
  return names;
}

/// Reads the class declarations of a TorchScript code file (text only; it is never run). `module`
/// is the qualified name the file's path gives ("__torch__.torch.nn.modules.linear").
void parse_code(const std::string& module, const std::string& source,
                std::map<std::string, ClassInfo>& classes) {
  std::istringstream lines(source);
  std::string line;
  ClassInfo* current = nullptr;
  while (std::getline(lines, line)) {
    if (line.starts_with("class ")) {
      size_t end = line.find_first_of("(:", 6);
      current = &classes[module + "." + line.substr(6, end == std::string::npos ? end : end - 6)];
      current->is_module =
          end != std::string::npos && line.find("Module", end) != std::string::npos;
    } else if (!line.empty() && line[0] != ' ') {
      current = nullptr;
    } else if (current != nullptr && line.starts_with("  __parameters__ = [")) {
      current->parameters = parse_name_list(line);
    } else if (current != nullptr && line.starts_with("  __buffers__ = [")) {
      current->buffers = parse_name_list(line);
      current->has_buffers = true;
    }
  }
}

/// Collects the tensors of a TorchScript module tree under dotted names, like state_dict().
class ModuleFlattener {
 public:
  ModuleFlattener(std::string file, const std::map<std::string, ClassInfo>& classes)
      : file_(std::move(file)), classes_(classes) {}

  void flatten(const PickleValue& module, const std::string& prefix, int depth,
               std::map<std::string, torch::Tensor>& tensors) {
    if (depth > kMaxModuleDepth || ++visits_ > kMaxModuleVisits) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': the TorchScript module tree is deeper than {} levels or has more than {} "
           "modules (at '{}'); the archive is malformed",
           file_, kMaxModuleDepth, kMaxModuleVisits, detail::quote_for_message(prefix));
    }
    auto info = classes_.find(module.text);
    if (info != classes_.end() && !info->second.is_module) return;
    for (const auto& [key, value] : module.entries) {
      if (key->kind != Kind::kString) continue;
      if (value->kind == Kind::kObject) {
        flatten(*value, prefix + key->text + ".", depth + 1, tensors);
      } else if (value->kind == Kind::kTensor && is_state(info, key->text)) {
        tensors[prefix + key->text] = value->tensor;
      }
    }
  }

 private:
  bool is_state(std::map<std::string, ClassInfo>::const_iterator info,
                const std::string& name) const {
    // NOTE: without the class source (absent or unparsable code/), every tensor attribute is
    // taken, which may add plain tensor attributes that state_dict() leaves out. Archives whose
    // classes list __parameters__ but not __buffers__ (old TorchScript) likewise take every
    // non-parameter tensor attribute as a buffer.
    if (info == classes_.end()) return true;
    if (info->second.parameters.count(name) || info->second.buffers.count(name)) return true;
    return !info->second.has_buffers;
  }

  std::string file_;
  const std::map<std::string, ClassInfo>& classes_;
  int64_t visits_ = 0;
};

std::string list_keys(const PickleValue& dict) {
  std::string keys;
  for (const auto& [key, value] : dict.entries) {
    if (keys.size() > 200) return keys + ", ...";
    keys += (keys.empty() ? "" : ", ") + (key->kind == Kind::kString
                                              ? "'" + detail::quote_for_message(key->text) + "'"
                                              : std::string(key->type_name()));
  }
  return keys;
}

/// Picks the state dict out of a torch.save object: the object itself, or its "state_dict" entry.
std::map<std::string, torch::Tensor> state_dict_tensors(const PickleValue& root,
                                                        const std::string& file) {
  if (root.kind != Kind::kDict) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' holds a {} at the top level, not a dict of tensors (a state dict); save "
         "model.state_dict() instead",
         file, root.type_name());
  }
  const PickleValue* dict = &root;
  if (const PickleValue* inner = root.find("state_dict")) {
    if (inner->kind != Kind::kDict) {
      fail(ErrorKind::kInvalidArgument, "'{}': its \"state_dict\" entry is a {}, not a dict", file,
           inner->type_name());
    }
    dict = inner;
  }

  // NOTE: entries that are not tensors (epoch, optimizer state, nested dicts) are skipped.
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [key, value] : dict->entries) {
    if (key->kind == Kind::kString && value->kind == Kind::kTensor) {
      tensors[key->text] = value->tensor;
    }
  }
  if (tensors.empty()) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' holds no tensors at the top level or under \"state_dict\" (keys: {}); it is not a "
         "model checkpoint clipscope understands",
         file, list_keys(*dict));
  }
  return tensors;
}

Checkpoint read_archive(const std::filesystem::path& path) {
  ZipArchive zip(path);
  const std::string file = path.string();

  // the record prefix: the one top-level folder holding data.pkl
  std::string prefix;
  bool torchscript = false;
  auto names = zip.names();
  for (const auto& name : names) {
    size_t slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash) == "/data.pkl") {
      if (!prefix.empty()) {
        fail(ErrorKind::kInvalidArgument,
             "'{}' holds data.pkl records in two folders ('{}' and '{}'); it is not a single "
             "PyTorch archive",
             file, detail::quote_for_message(prefix),
             detail::quote_for_message(name.substr(0, slash)));
      }
      prefix = name.substr(0, slash);
    }
  }
  if (prefix.empty()) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' is a zip archive without a '<name>/data.pkl' record, so not a torch.save or "
         "TorchScript file",
         file);
  }
  for (const auto& name : names) {
    if (name == prefix + "/constants.pkl" || name.starts_with(prefix + "/code/"))
      torchscript = true;
  }

  // version and byte order
  std::string version_record = prefix + "/version";
  if (!zip.locate(version_record)) version_record = prefix + "/.data/version";
  if (!zip.locate(version_record)) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' has no version record ('{}/version'); it is not a complete torch.save or "
         "TorchScript archive",
         file, detail::quote_for_message(prefix));
  }
  std::string version = zip.read_record(version_record);
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) version.pop_back();
  if (version.empty() || version.size() > 9 ||
      version.find_first_not_of("0123456789") != std::string::npos) {
    fail(ErrorKind::kInvalidArgument,
         "'{}': record '{}' contains '{}', which is not a format version number", file,
         version_record, detail::quote_for_message(version));
  }
  if (zip.locate(prefix + "/byteorder")) {
    std::string order = zip.read_record(prefix + "/byteorder");
    if (order != "little") {
      fail(ErrorKind::kUnsupported,
           "'{}' was saved with byte order '{}'; clipscope reads little-endian archives only", file,
           detail::quote_for_message(order));
    }
  }

  // TorchScript class sources, for which attributes are parameters and buffers
  std::map<std::string, ClassInfo> classes;
  if (torchscript) {
    std::string code_folder = prefix + "/code/";
    for (const auto& name : names) {
      if (name.starts_with(code_folder) && name.ends_with(".py")) {
        std::string module = name.substr(code_folder.size(), name.size() - code_folder.size() - 3);
        std::replace(module.begin(), module.end(), '/', '.');
        parse_code(module, zip.read_record(name), classes);
      }
    }
  }

  // the pickle
  auto load_storage = [&](const std::string& key, torch::ScalarType dtype, int64_t numel) {
    std::string name = prefix + "/data/" + key;
    auto index = zip.locate(name);
    if (!index) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': storage record '{}' named by data.pkl is missing; the archive is incomplete",
           file, detail::quote_for_message(name));
    }
    int64_t item_size = static_cast<int64_t>(c10::elementSize(dtype));
    uint64_t stored = zip.size(*index, name);
    if (numel > std::numeric_limits<int64_t>::max() / item_size ||
        stored != static_cast<uint64_t>(numel * item_size)) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': storage record '{}' has {} bytes but data.pkl describes {} elements of {}", file,
           detail::quote_for_message(name), stored, numel, c10::toString(dtype));
    }
    auto tensor = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (stored > 0) zip.read_into(*index, name, tensor.data_ptr(), stored);
    if (dtype == torch::kBool) {
      const auto* bytes = static_cast<const uint8_t*>(tensor.data_ptr());
      for (int64_t i = 0; i < numel; ++i) {
        if (bytes[i] > 1) {
          fail(ErrorKind::kInvalidArgument,
               "'{}': bool storage '{}' holds the byte {} at element {}; booleans must be 0 or 1",
               file, detail::quote_for_message(name), bytes[i], i);
        }
      }
    }
    return tensor;
  };
  std::string pickle = zip.read_record(prefix + "/data.pkl");
  detail::Unpickler unpickler(
      file, "data.pkl", std::span(reinterpret_cast<const uint8_t*>(pickle.data()), pickle.size()),
      load_storage, torchscript);
  const PickleValue& root = unpickler.load();

  Checkpoint checkpoint;
  checkpoint.path = path;
  if (torchscript) {
    checkpoint.format = "torchscript";
    if (root.kind != Kind::kObject) {
      fail(ErrorKind::kInvalidArgument,
           "'{}': the TorchScript data.pkl holds a {}, not a module object", file,
           root.type_name());
    }
    ModuleFlattener(file, classes).flatten(root, "", 0, checkpoint.tensors);
  } else {
    checkpoint.format = "pytorch-zip";
    checkpoint.tensors = state_dict_tensors(root, file);
  }
  detail::strip_training_prefix(checkpoint.tensors);
  return checkpoint;
}

}  // namespace

Checkpoint read_torch_archive(const std::filesystem::path& file) {
  try {
    return read_archive(file);
  } catch (const c10::Error& error) {
    // LibTorch failing on a value the checks above let through (an allocation too large for
    // memory, say) still names the file.
    std::string message = error.what_without_backtrace();
    fail(ErrorKind::kInvalidArgument, "'{}' cannot be read: {}", file.string(),
         detail::quote_for_message(message.substr(0, message.find('\n'))));
  }
}

}  // namespace clipscope::io
