#include "clipscope/io/npy_tensor.h"

#include <cstring>

#include "clipscope/error.h"

namespace clipscope::io {

namespace {

torch::ScalarType scalar_type_of(const std::string& dtype) {
  if (dtype == "<f4") return torch::kFloat32;
  if (dtype == "<f8") return torch::kFloat64;
  if (dtype == "<f2") return torch::kFloat16;
  if (dtype == "<i8") return torch::kInt64;
  if (dtype == "<i4") return torch::kInt32;
  if (dtype == "|u1") return torch::kUInt8;
  if (dtype == "|b1") return torch::kBool;
  fail(ErrorKind::kUnsupported, "npy dtype '{}' has no tensor equivalent in clipscope", dtype);
}

std::string dtype_of(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return "<f4";
    case torch::kFloat64:
      return "<f8";
    case torch::kInt64:
      return "<i8";
    case torch::kInt32:
      return "<i4";
    case torch::kUInt8:
      return "|u1";
    default:
      fail(ErrorKind::kUnsupported, "cannot write a tensor of dtype {} as .npy",
           c10::toString(type));
  }
}

}  // namespace

torch::Tensor tensor_from_npy(const NpyArray& array) {
  auto tensor = torch::empty(array.shape, torch::TensorOptions().dtype(scalar_type_of(array.dtype)));
  std::memcpy(tensor.data_ptr(), array.data.data(), array.data.size());
  return tensor;
}

torch::Tensor read_npy_tensor(const std::filesystem::path& path) {
  return tensor_from_npy(read_npy(path));
}

void write_npy(const std::filesystem::path& path, const torch::Tensor& tensor) {
  auto contiguous = tensor.contiguous().cpu();
  std::vector<int64_t> shape(contiguous.sizes().begin(), contiguous.sizes().end());
  auto bytes = std::span(static_cast<const uint8_t*>(contiguous.data_ptr()),
                         static_cast<size_t>(contiguous.nbytes()));
  write_npy(path, dtype_of(contiguous.scalar_type()), shape, bytes);
}

}  // namespace clipscope::io
