// Reading checkpoint files into named tensors: safetensors, torch.save zip archives and TorchScript
// archives, chosen by file content. Nothing in a file is ever executed. Renaming keys between
// naming schemes is key_map.h's job; building modules from the tensors is in model/.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace clipscope::io {

/// The tensors of one checkpoint file.
struct Checkpoint {
  /// Tensors by name as stored, on the CPU, dtype as stored (F16/BF16 are kept). A leading
  /// "module." is removed when every name has it. Tensors may be views of one storage, as
  /// torch.load gives, or point into a private copy-on-write mapping of the file. Writing to them
  /// never changes the file.
  std::map<std::string, torch::Tensor> tensors;
  /// "safetensors", "pytorch-zip" (torch.save since PyTorch 1.6) or "torchscript".
  std::string format;
  /// The safetensors `__metadata__` string map; empty for the other formats.
  std::map<std::string, std::string> metadata;
  /// The file the tensors came from.
  std::filesystem::path path;
};

/// read_checkpoint reads a safetensors file, a torch.save zip archive or a TorchScript archive,
/// recognised by its first bytes (the extension is not looked at). When a torch.save archive's
/// top-level dict has a "state_dict" entry (a training checkpoint), that dict is used. Entries that
/// are not tensors (optimizer state, epoch, ...) are skipped. A TorchScript module gives the names
/// `model.state_dict()` gives in PyTorch (`visual.conv1.weight`, ...).
/// Throws Error naming the file: kNotFound if it does not exist; kUnsupported for a legacy
/// (pre-1.6) torch.save file, an unknown dtype or a big-endian archive; kInvalidArgument for
/// anything malformed, including a pickle naming a Python global outside the allow-list of tensor
/// and container types; kIo if reading fails.
Checkpoint read_checkpoint(const std::filesystem::path& file);

/// read_safetensors reads a safetensors file (dtypes F64, F32, F16, BF16, I64, I32, I16, I8, U8,
/// BOOL). Tensors whose data are suitably aligned in the file point into a private mapping of it
/// (no copy). Throws Error as read_checkpoint, kInvalidArgument naming the tensor for a bad header
/// entry and kUnsupported naming an unknown dtype.
Checkpoint read_safetensors(const std::filesystem::path& file);

/// read_torch_archive reads a zip archive written by torch.save (PyTorch 1.6 or later) or
/// torch.jit.save. Throws Error as read_checkpoint.
Checkpoint read_torch_archive(const std::filesystem::path& file);

/// write_safetensors writes `tensors` (any device, layout or dtype among those read_safetensors
/// accepts) and `metadata` as a safetensors file through an AtomicFile. The output is
/// deterministic: names sorted, data in name order, header padded with spaces to a multiple of 8.
/// Throws Error(kUnsupported) naming a tensor of another dtype, Error(kInvalidArgument) for a
/// tensor named "__metadata__", Error(kIo) if writing fails.
void write_safetensors(const std::filesystem::path& file,
                       const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace clipscope::io
