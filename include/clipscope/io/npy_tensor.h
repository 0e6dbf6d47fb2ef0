// Conversions between .npy files (npy.h) and LibTorch tensors.
#pragma once

#include <torch/types.h>

#include <filesystem>

#include "clipscope/io/npy.h"

namespace clipscope::io {

/// Returns a contiguous CPU tensor holding a copy of the array, with the matching dtype
/// (float32, float64, float16, int64, int32, uint8, bool). Throws Error(kUnsupported) otherwise.
torch::Tensor tensor_from_npy(const NpyArray& array);

/// Reads a .npy file into a tensor; errors as read_npy() and tensor_from_npy().
torch::Tensor read_npy_tensor(const std::filesystem::path& path);

/// Writes a CPU tensor of dtype float32, float64, int64, int32 or uint8 as .npy, atomically.
void write_npy(const std::filesystem::path& path, const torch::Tensor& tensor);

}  // namespace clipscope::io
