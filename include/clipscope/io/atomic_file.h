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
  /// Throws Error(kInvalidArgument) if the target or one of its parents exists with the wrong
  /// type (the target must be a regular file or new, the parents folders), and Error(kIo)
  /// naming the path if the file cannot be created.
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

/// Checks that `folder` can become an output folder without creating anything: it and each of its
/// existing parents must be a folder. Throws Error(kInvalidArgument) naming the path that is not.
void check_output_folder(const std::filesystem::path& folder);

/// Creates `folder` and its missing parents after check_output_folder(). Throws
/// Error(kInvalidArgument) as check_output_folder() and Error(kIo) if creating fails.
void create_output_folder(const std::filesystem::path& folder);

/// Writes `bytes` to `target` through an AtomicFile.
void write_file_atomic(const std::filesystem::path& target, std::string_view bytes);

/// Reads a whole file. Throws Error(kNotFound) if it does not exist, Error(kIo) if unreadable.
std::string read_file(const std::filesystem::path& path);

}  // namespace clipscope::io
