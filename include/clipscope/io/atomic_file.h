// Writing files so that a reader never sees a half-written one: data goes to a temporary file
// beside the target, which is renamed over it on commit. npy.h and every writer build on this.
#pragma once

#include <filesystem>
#include <fstream>
#include <string_view>

namespace clipscope::io {

/// A file being written. The target appears only when commit() succeeds; if the object is
/// destroyed before that (an exception, an early return), the temporary file is removed.
class AtomicFile {
 public:
  /// Opens a temporary file in the target's folder (created if missing) for binary writing.
  /// Throws Error(kIo) naming the path if it cannot be created.
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();

  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ofstream& stream() { return stream_; }

  /// Flushes, closes and renames the temporary file over the target. Throws Error(kIo).
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  std::ofstream stream_;
  bool committed_ = false;
};

/// Writes `bytes` to `target` through an AtomicFile.
void write_file_atomic(const std::filesystem::path& target, std::string_view bytes);

/// Reads a whole file. Throws Error(kNotFound) if it does not exist, Error(kIo) if unreadable.
std::string read_file(const std::filesystem::path& path);

}  // namespace clipscope::io
