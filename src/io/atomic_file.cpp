#include "clipscope/io/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "clipscope/error.h"

namespace clipscope::io {

namespace {

std::filesystem::path temporary_path_for(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  std::string name = fmt::format(".{}.tmp-{}-{}", target.filename().string(), getpid(),
                                 counter.fetch_add(1));
  return target.parent_path() / name;
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  // Renaming over a device node, a folder or a socket would replace it, so only regular files
  // (or a new name) may be targets.
  std::error_code status_error;
  const auto status = std::filesystem::symlink_status(target_, status_error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    fail(ErrorKind::kInvalidArgument, "cannot write '{}': it exists and is not a regular file; choose another output path",
         target_.string());
  }
  if (target_.has_parent_path()) create_output_folder(target_.parent_path());
  temporary_ = temporary_path_for(target_);
  stream_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!stream_) {
    fail(ErrorKind::kIo, "cannot create '{}': {}; check that the folder exists and is writable",
         target_.string(), std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    stream_.close();
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::commit() {
  stream_.flush();
  bool write_ok = static_cast<bool>(stream_);
  stream_.close();
  if (!write_ok || stream_.fail()) {
    fail(ErrorKind::kIo, "failed to write '{}' (disk full or not writable)", target_.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary_, target_, error);
  if (error) {
    fail(ErrorKind::kIo, "cannot rename '{}' to '{}': {}", temporary_.string(), target_.string(),
         error.message());
  }
  committed_ = true;
}

void check_output_folder(const std::filesystem::path& folder) {
  for (std::filesystem::path path = folder; !path.empty(); path = path.parent_path()) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (std::filesystem::exists(status)) {
      if (!std::filesystem::is_directory(status)) {
        fail(ErrorKind::kInvalidArgument,
             "cannot use '{}' as an output folder: '{}' exists and is not a folder; choose another output path",
             folder.string(), path.string());
      }
      return;
    }
    if (path == path.parent_path()) return;
  }
}

void create_output_folder(const std::filesystem::path& folder) {
  check_output_folder(folder);
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    fail(ErrorKind::kIo, "cannot create output folder '{}': {}; check that its parent is writable", folder.string(),
         error.message());
  }
}

void write_file_atomic(const std::filesystem::path& target, std::string_view bytes) {
  AtomicFile file(target);
  file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.commit();
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    fail(ErrorKind::kNotFound, "file not found: '{}'", path.string());
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    fail(ErrorKind::kIo, "cannot open '{}': {}", path.string(), std::strerror(errno));
  }
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  if (stream.bad()) {
    fail(ErrorKind::kIo, "failed to read '{}'", path.string());
  }
  return std::move(buffer).str();
}

}  // namespace clipscope::io
