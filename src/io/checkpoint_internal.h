// Helpers shared by the checkpoint readers (safetensors.cpp, torch_archive.cpp, checkpoint.cpp);
// the public API is include/clipscope/io/checkpoint.h.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace clipscope::detail {

/// Throws Error(kNotFound) if `file` does not exist and Error(kInvalidArgument) if it is a folder.
void check_checkpoint_file(const std::filesystem::path& file);

/// Removes a leading "module." (left by DataParallel / DistributedDataParallel training) from
/// every name when all names have it; leaves the map unchanged otherwise.
void strip_training_prefix(std::map<std::string, torch::Tensor>& tensors);

/// Quotes a string taken from a file for an error message: non-printable bytes become \xNN and
/// long strings are shortened, so that the message stays one readable line.
std::string quote_for_message(std::string_view text);

}  // namespace clipscope::detail
