#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "clipscope/error.h"
#include "io/checkpoint_internal.h"

namespace clipscope::detail {

std::shared_ptr<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  check_checkpoint_file(path);

  int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    fail(ErrorKind::kIo, "cannot open '{}': {}", path.string(), std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(descriptor, &info) != 0) {
    int saved = errno;
    ::close(descriptor);
    fail(ErrorKind::kIo, "cannot stat '{}': {}", path.string(), std::strerror(saved));
  }
  auto size = static_cast<std::size_t>(info.st_size);
  if (size == 0) {
    ::close(descriptor);
    return std::shared_ptr<MappedFile>(new MappedFile(nullptr, 0));
  }

  // NOTE: the mapping is private and writable so that tensors pointing into it can be modified in
  // place like any other tensor (copy-on-write). If another process truncates the file while it is
  // mapped, touching the lost pages raises SIGBUS; clipscope does not guard against that.
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0);
  int saved = errno;
  ::close(descriptor);
  if (data == MAP_FAILED) {
    fail(ErrorKind::kIo, "cannot map '{}' into memory: {}", path.string(), std::strerror(saved));
  }
  return std::shared_ptr<MappedFile>(new MappedFile(static_cast<std::uint8_t*>(data), size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) {
    ::munmap(data_, size_);
  }
}

}  // namespace clipscope::detail
