// A whole file mapped into memory, private and copy-on-write, for the checkpoint readers
// (checkpoint.h). Tensors can point into it and keep it alive through a shared_ptr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

namespace clipscope::detail {

/// A read-only view of a file's bytes. Writes through data() go to private pages and never
/// reach the file.
class MappedFile {
 public:
  /// Maps `path`. Throws Error(kNotFound) if it does not exist, Error(kInvalidArgument) if it is a
  /// folder, Error(kIo) if it cannot be opened or mapped. An empty file maps to an empty span.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  std::uint8_t* mutable_data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  MappedFile(std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace clipscope::detail
