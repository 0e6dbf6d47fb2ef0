#include "clipscope/io/atomic_file.h"

#include <gtest/gtest.h>

#include <string>

#include "clipscope/error.h"
#include "test_support.h"

namespace clipscope::io {
namespace {

using clipscope::testing::make_temp_dir;

namespace fs = std::filesystem;

// Returns the message of the Error `action` throws, failing the test if it throws none.
template <typename Action>
std::string error_of(Action action, ErrorKind kind) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(AtomicFile, WritesAndCreatesFolders) {
  const auto file = make_temp_dir() / "a" / "b" / "c.txt";
  write_file_atomic(file, "content");
  EXPECT_EQ(read_file(file), "content");
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1);
}

TEST(AtomicFile, FolderTargetIsRejected) {
  const auto folder = make_temp_dir();
  fs::create_directory(folder / "taken");
  auto message = error_of([&] { write_file_atomic(folder / "taken", "x"); }, ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("exists and is not a regular file"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_directory(folder / "taken"));
}

TEST(AtomicFile, FileAsParentIsRejected) {
  const auto folder = make_temp_dir();
  write_file_atomic(folder / "plain", "x");
  auto message = error_of([&] { write_file_atomic(folder / "plain" / "inner" / "c.txt", "y"); },
                          ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("'" + (folder / "plain").string() + "' exists and is not a folder"), std::string::npos)
      << message;
  EXPECT_EQ(read_file(folder / "plain"), "x");
}

TEST(OutputFolder, CheckCreatesNothing) {
  const auto folder = make_temp_dir();
  check_output_folder(folder / "new" / "deeper");
  EXPECT_FALSE(fs::exists(folder / "new"));
  create_output_folder(folder / "new" / "deeper");
  EXPECT_TRUE(fs::is_directory(folder / "new" / "deeper"));
  EXPECT_NO_THROW(create_output_folder(folder / "new" / "deeper"));
}

TEST(OutputFolder, RegularFileIsRejected) {
  const auto folder = make_temp_dir();
  write_file_atomic(folder / "out", "x");
  auto message = error_of([&] { create_output_folder(folder / "out"); }, ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find("cannot use '" + (folder / "out").string() + "' as an output folder"), std::string::npos)
      << message;
  EXPECT_EQ(read_file(folder / "out"), "x");
}

}  // namespace
}  // namespace clipscope::io
