// The one exception type clipscope throws, with a small kind enum that the CLI maps to exit codes.
// Messages name the value, the file and the fix; see log.h for diagnostics that are not errors.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace clipscope {

/// Category of a failure; each maps to a distinct process exit code (see exit_code()).
enum class ErrorKind {
  kInvalidArgument,  ///< A value, option or file content is malformed or out of range.
  kNotFound,         ///< A file, key, object name or record does not exist.
  kUnsupported,      ///< The input is valid but uses a feature clipscope does not implement.
  kIo,               ///< Reading or writing a file failed at the operating-system level.
};

/// Error raised by every clipscope library function. what() is one line, without a trailing newline.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

/// Throws Error(kind, fmt::format(format, args...)).
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

/// Returns the process exit code for an error kind: 2 invalid argument, 3 not found,
/// 4 unsupported, 5 I/O. Any other failure exits with 1.
int exit_code(ErrorKind kind) noexcept;

}  // namespace clipscope
