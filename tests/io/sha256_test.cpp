#include "clipscope/io/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "clipscope/io/atomic_file.h"
#include "expect_error.h"
#include "test_support.h"

namespace clipscope::io {
namespace {

using clipscope::testing::expect_error;
using clipscope::testing::make_temp_dir;

// The example messages of FIPS 180-2 (appendix B) and the empty message.
const std::string kTwoBlockMessage = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

TEST(Sha256, MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(kTwoBlockMessage),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileEqualsBytesAcrossChunks) {
  // 1 MiB + 3 bytes, so the file is read in two chunks.
  std::string bytes((1 << 20) + 3, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31 % 251);
  const auto file = make_temp_dir() / "data.bin";
  write_file_atomic(file, bytes);
  EXPECT_EQ(sha256_file(file), sha256_hex(bytes));
}

TEST(Sha256, FileMatchesKnownVector) {
  const auto file = make_temp_dir() / "abc.txt";
  write_file_atomic(file, "abc");
  EXPECT_EQ(sha256_file(file), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, MissingFileFails) {
  const auto file = make_temp_dir() / "missing.bin";
  expect_error([](const auto& path) { sha256_file(path); }, file, ErrorKind::kNotFound,
               "does not exist");
}

TEST(Sha256, FolderFails) {
  const auto folder = make_temp_dir();
  expect_error([](const auto& path) { sha256_file(path); }, folder, ErrorKind::kInvalidArgument,
               "is a folder");
}

}  // namespace
}  // namespace clipscope::io
