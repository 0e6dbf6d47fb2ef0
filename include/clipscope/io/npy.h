// NumPy .npy arrays (format versions 1-3, little-endian, C order): reading any array and writing
// float32, int64, int32 and uint8 ones. Tensor conversions are in npy_tensor.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace clipscope::io {

/// An array read from or written to a .npy file.
struct NpyArray {
  std::string dtype;           ///< NumPy type string: "<f4", "<f8", "<f2", "<i8", "<i4", "|u1", "|b1".
  std::vector<int64_t> shape;  ///< Dimensions, outermost first; empty for a scalar.
  std::vector<uint8_t> data;   ///< Raw little-endian element bytes in C order.

  /// Number of elements (product of shape).
  int64_t size() const;

  /// Returns the elements as T after checking that dtype matches T exactly.
  /// Throws Error(kInvalidArgument) naming both dtypes otherwise.
  template <typename T>
  std::vector<T> values() const;
};

/// Reads a .npy file. Throws Error(kNotFound) if missing, Error(kInvalidArgument) naming the file
/// for a bad magic string, header, Fortran order, big-endian or object dtype, or a size mismatch.
NpyArray read_npy(const std::filesystem::path& path);

/// Writes a .npy file (version 1.0) atomically. `dtype` is a NumPy type string as in NpyArray.
void write_npy(const std::filesystem::path& path, const std::string& dtype,
               std::span<const int64_t> shape, std::span<const uint8_t> bytes);

/// Writes a float32 array of the given shape.
void write_npy(const std::filesystem::path& path, std::span<const float> values,
               std::span<const int64_t> shape);

/// Writes an int64 array of the given shape.
void write_npy(const std::filesystem::path& path, std::span<const int64_t> values,
               std::span<const int64_t> shape);

/// Writes a uint8 array of the given shape.
void write_npy(const std::filesystem::path& path, std::span<const uint8_t> values,
               std::span<const int64_t> shape);

/// Returns the size in bytes of one element of a NumPy type string, or throws Error(kUnsupported).
int64_t npy_item_size(const std::string& dtype);

}  // namespace clipscope::io
