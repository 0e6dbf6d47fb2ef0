#include "clipscope/error.h"

namespace clipscope {

int exit_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return 2;
    case ErrorKind::kNotFound:
      return 3;
    case ErrorKind::kUnsupported:
      return 4;
    case ErrorKind::kIo:
      return 5;
  }
  return 1;
}

}  // namespace clipscope
