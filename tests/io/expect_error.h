// A check shared by the checkpoint reader tests: a read fails with clipscope::Error whose one-line
// message names the file and the problem.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "clipscope/error.h"

namespace clipscope::testing {

/// Expects `read(file)` to throw Error of `kind` whose one-line message names `file` and
/// contains `problem`.
template <typename Read>
void expect_error(Read read, const std::filesystem::path& file, ErrorKind kind,
                  const std::string& problem) {
  try {
    read(file);
    ADD_FAILURE() << "'" << file.string() << "' was accepted; expected: " << problem;
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.kind(), kind) << message;
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace clipscope::testing
