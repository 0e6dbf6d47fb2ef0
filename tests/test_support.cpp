#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace clipscope::testing {

std::filesystem::path shared_path(const std::string& relative) {
  std::filesystem::path root;
  if (const char* from_environment = std::getenv("CLIPSCOPE_SHARED_DIR")) {
    root = from_environment;
  } else {
    root = std::filesystem::path(CLIPSCOPE_SOURCE_DIR) / ".." / "shared";
  }
  std::filesystem::path path = root / relative;
  if (!std::filesystem::exists(path)) {
    throw std::runtime_error("shared fixture missing: '" + path.string() +
                             "'; place the shared folder beside the clone or set "
                             "CLIPSCOPE_SHARED_DIR");
  }
  return path;
}

std::filesystem::path make_temp_dir() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
  auto path = std::filesystem::temp_directory_path() /
              ("clipscope-" + name + "-" + std::to_string(getpid()) + "-" +
               std::to_string(counter.fetch_add(1)));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

bool cli_missing() { return !std::filesystem::exists(CLIPSCOPE_CLI_PATH); }

size_t count_occurrences(const std::string& text, const std::string& needle) {
  size_t found = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++found;
  return found;
}

CommandResult run_cli(const std::string& arguments) {
  // a fresh cache folder per call, so no test reads or fills the user's embedding cache
  const std::filesystem::path cache_home = make_temp_dir() / "xdg-cache";
  std::string command = "XDG_CACHE_HOME=" + shell_quote(cache_home.string()) + " " + shell_quote(CLIPSCOPE_CLI_PATH) +
                        " " + arguments + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run: " + command);
  }
  std::array<char, 4096> buffer{};
  size_t count = 0;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), count);
  }
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace clipscope::testing
