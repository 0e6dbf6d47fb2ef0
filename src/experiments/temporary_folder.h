// Private to the experiments area: a folder under the system temporary folder that exists for the
// lifetime of one object, for intermediate files an experiment hands to the encoder by path.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

#include "clipscope/error.h"

namespace clipscope::experiments::detail {

/// A fresh empty folder, removed with its contents when the object is destroyed.
class TemporaryFolder {
 public:
  /// Creates <temp>/<prefix>-<pid>-<counter>. Throws Error(kIo) naming the path if that fails.
  explicit TemporaryFolder(const std::string& prefix) {
    static std::atomic<int> counter{0};
    std::error_code error;
    path_ = std::filesystem::temp_directory_path(error) /
            (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_, error);
    if (!std::filesystem::create_directories(path_, error)) {
      fail(ErrorKind::kIo, "cannot create temporary folder \"{}\": {}; set TMPDIR to a writable folder",
           path_.string(), error.message());
    }
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace clipscope::experiments::detail
