// Helpers shared by the test programs: locating ../shared fixtures, temporary folders and
// running the clipscope CLI as a subprocess.
#pragma once

#include <filesystem>
#include <string>

namespace clipscope::testing {

/// Returns `relative` inside the shared fixtures folder: $CLIPSCOPE_SHARED_DIR if set, otherwise
/// ../shared beside the source tree. Throws std::runtime_error with the path it tried if missing.
std::filesystem::path shared_path(const std::string& relative);

/// Returns a fresh empty folder under the system temporary folder, unique to this test.
std::filesystem::path make_temp_dir();

/// Result of running a command.
struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr, interleaved.
};

/// Runs the clipscope CLI with `arguments` (a shell-quoted string) and captures its output. The
/// CLI gets XDG_CACHE_HOME set to a new temporary folder, so its default embedding cache is empty.
CommandResult run_cli(const std::string& arguments);

/// Returns whether the clipscope CLI that this test program was built with is missing.
bool cli_missing();

/// Counts the non-overlapping occurrences of `needle` in `text`.
size_t count_occurrences(const std::string& text, const std::string& needle);

/// Quotes a string for /bin/sh.
std::string shell_quote(const std::string& text);

}  // namespace clipscope::testing
