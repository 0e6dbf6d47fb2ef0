// Format detection for read_checkpoint and the helpers shared by the readers.
#include "clipscope/io/checkpoint.h"

#include <array>
#include <cstring>
#include <fstream>

#include "clipscope/error.h"
#include "io/checkpoint_internal.h"

namespace clipscope::detail {

void check_checkpoint_file(const std::filesystem::path& file) {
  std::error_code error;
  auto status = std::filesystem::status(file, error);
  if (!std::filesystem::exists(status)) {
    fail(ErrorKind::kNotFound, "checkpoint file not found: '{}'", file.string());
  }
  if (std::filesystem::is_directory(status)) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' is a folder; pass the checkpoint file inside it (e.g. model.safetensors)",
         file.string());
  }
}

void strip_training_prefix(std::map<std::string, torch::Tensor>& tensors) {
  constexpr std::string_view kPrefix = "module.";
  if (tensors.empty()) return;
  for (const auto& [name, tensor] : tensors) {
    if (!name.starts_with(kPrefix)) return;
  }
  std::map<std::string, torch::Tensor> stripped;
  for (auto& [name, tensor] : tensors) {
    stripped.emplace(name.substr(kPrefix.size()), std::move(tensor));
  }
  tensors = std::move(stripped);
}

std::string quote_for_message(std::string_view text) {
  constexpr size_t kMaxLength = 80;
  std::string quoted;
  for (size_t i = 0; i < text.size() && i < kMaxLength; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      quoted += fmt::format("\\x{:02x}", c);
    } else {
      quoted += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxLength) quoted += "...";
  return quoted;
}

}  // namespace clipscope::detail

namespace clipscope::io {

namespace {

/// Reads up to 512 leading bytes of a file (enough for the zip, pickle and tar signatures).
std::string read_prefix(const std::filesystem::path& file) {
  detail::check_checkpoint_file(file);
  std::ifstream stream(file, std::ios::binary);
  if (!stream) {
    fail(ErrorKind::kIo, "cannot open '{}': {}", file.string(), std::strerror(errno));
  }
  std::string prefix(512, '\0');
  stream.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  if (stream.bad()) {
    fail(ErrorKind::kIo, "failed to read '{}'", file.string());
  }
  prefix.resize(static_cast<size_t>(stream.gcount()));
  return prefix;
}

bool looks_like_safetensors(std::string_view prefix) {
  // An 8-byte little-endian header length, then a JSON object, which the format requires to
  // start with '{'.
  return prefix.size() >= 9 && prefix[8] == '{';
}

/// Returns a short description of what a non-checkpoint file seems to be, or "" if unknown.
std::string_view recognise_other(std::string_view prefix) {
  if (prefix.starts_with("\x89PNG\r\n\x1a\n")) return "a PNG image";
  if (prefix.starts_with("\xff\xd8\xff")) return "a JPEG image";
  if (prefix.starts_with("GIF8")) return "a GIF image";
  if (prefix.starts_with("\x93NUMPY")) return "a NumPy .npy array";
  if (prefix.starts_with("GGUF")) return "a GGUF model (llama.cpp/ggml)";
  if (prefix.starts_with("\x1f\x8b")) return "gzip-compressed data";
  if (prefix.starts_with("\x89HDF")) return "an HDF5 file (Keras)";
  return "";
}

}  // namespace

Checkpoint read_checkpoint(const std::filesystem::path& file) {
  std::string prefix = read_prefix(file);
  const std::string name = file.string();

  if (prefix.empty()) {
    fail(ErrorKind::kInvalidArgument, "'{}' is empty (0 bytes); the download or copy is incomplete",
         name);
  }
  if (prefix.starts_with("PK\x03\x04") || prefix.starts_with("PK\x05\x06")) {
    return read_torch_archive(file);
  }
  if (looks_like_safetensors(prefix)) {
    return read_safetensors(file);
  }
  // Legacy torch.save: a bare protocol-2 pickle starting with the magic number
  // 0x1950a86a20f9469cfc6c (PyTorch before 1.6, or _use_new_zipfile_serialization=False), or an
  // even older tar archive.
  if (prefix.size() >= 2 && prefix[0] == '\x80' && prefix[1] >= '\x02' && prefix[1] <= '\x05') {
    fail(ErrorKind::kUnsupported,
         "'{}' is a legacy torch.save file (a bare pickle, written by PyTorch before 1.6 or with "
         "_use_new_zipfile_serialization=False), which clipscope does not read; re-save it with "
         "torch.save(torch.load(path), new_path) under PyTorch 1.6 or later",
         name);
  }
  if (prefix.size() >= 262 && prefix.substr(257, 5) == "ustar") {
    fail(
        ErrorKind::kUnsupported,
        "'{}' is a tar archive (the torch.save format of PyTorch before 0.4), which clipscope does "
        "not read; re-save it with torch.save under PyTorch 1.6 or later",
        name);
  }
  std::string_view other = recognise_other(prefix);
  if (!other.empty()) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' is {}, not a checkpoint; expected a safetensors file, a torch.save archive or a "
         "TorchScript archive",
         name, other);
  }
  fail(ErrorKind::kInvalidArgument,
       "'{}' is not a checkpoint clipscope recognises: its first bytes match neither safetensors, "
       "a torch.save zip archive nor a TorchScript archive",
       name);
}

}  // namespace clipscope::io
