#include "clipscope/io/npy.h"

#include <gtest/gtest.h>

#include <fstream>

#include "clipscope/error.h"
#include "clipscope/io/npy_tensor.h"
#include "test_support.h"

namespace clipscope::io {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

TEST(Npy, ReadsReferenceTokenIds) {
  NpyArray tokens = read_npy(shared_path("fixtures/open_clip-2.30.0/captions.tokens.npy"));
  EXPECT_EQ(tokens.dtype, "<i8");
  ASSERT_EQ(tokens.shape.size(), 2u);
  EXPECT_EQ(tokens.shape[0], 431);
  EXPECT_EQ(tokens.shape[1], 77);
  EXPECT_EQ(tokens.values<int64_t>()[0], 49406);
}

TEST(Npy, RoundTripsFloatTensor) {
  auto folder = make_temp_dir();
  auto tensor = torch::arange(12, torch::kFloat32).reshape({3, 4});
  write_npy(folder / "a.npy", tensor);
  auto back = read_npy_tensor(folder / "a.npy");
  EXPECT_TRUE(torch::equal(tensor, back));
}

TEST(Npy, RoundTripsOneDimensionalInt64) {
  auto folder = make_temp_dir();
  std::vector<int64_t> values = {5, -1, 7};
  std::vector<int64_t> shape = {3};
  write_npy(folder / "b.npy", values, shape);
  NpyArray back = read_npy(folder / "b.npy");
  EXPECT_EQ(back.shape, shape);
  EXPECT_EQ(back.values<int64_t>(), values);
}

TEST(Npy, RejectsTruncatedData) {
  auto folder = make_temp_dir();
  std::vector<float> values(10, 1.0f);
  std::vector<int64_t> shape = {10};
  write_npy(folder / "c.npy", values, shape);
  std::filesystem::resize_file(folder / "c.npy", std::filesystem::file_size(folder / "c.npy") - 4);
  try {
    read_npy(folder / "c.npy");
    FAIL() << "truncated file was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("c.npy"), std::string::npos);
  }
}

TEST(Npy, RejectsNonNpyFile) {
  auto folder = make_temp_dir();
  std::ofstream(folder / "text.npy") << "hello";
  EXPECT_THROW(read_npy(folder / "text.npy"), Error);
}

TEST(Npy, MissingFileIsNotFound) {
  try {
    read_npy("/nonexistent/x.npy");
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  }
}

TEST(Npy, WrongValueTypeIsRejected) {
  auto folder = make_temp_dir();
  std::vector<float> values(2, 1.0f);
  std::vector<int64_t> shape = {2};
  write_npy(folder / "d.npy", values, shape);
  EXPECT_THROW(read_npy(folder / "d.npy").values<int64_t>(), Error);
}

}  // namespace
}  // namespace clipscope::io
