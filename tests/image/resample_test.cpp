#include "clipscope/image/resample.h"

#include <gtest/gtest.h>

#include <cstring>

#include "clipscope/error.h"
#include "image_fixtures.h"

namespace clipscope::image {
namespace {

using testing::expected;
using testing::load_source;
using testing::pixel_hash;

TEST(Resize, MatchesPillowForEveryModeFilterAndSize) {
  const auto& cases = expected()["resizes"];
  ASSERT_GE(cases.size(), 400u);
  std::map<std::string, Image> sources;
  int failures = 0;
  for (const auto& item : cases) {
    const std::string source = item["source"];
    if (!sources.count(source)) {
      sources.emplace(source, load_source(source));
    }
    const Image& image = sources.at(source);
    const std::string filter = item["filter"];
    Image out = resize(image, item["width"], item["height"], parse_filter(filter));
    if (pixel_hash(out) != item["hash"].get<std::string>()) {
      ++failures;
      ADD_FAILURE() << source << " (" << mode_name(image.mode) << " " << image.width << "x"
                    << image.height << ") to " << item["width"] << "x" << item["height"] << " with "
                    << filter;
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(Resize, SameSizeReturnsCopy) {
  Image image = Image::blank(3, 2, PixelMode::kRGBA);
  image.pixels[3] = 7;
  image.pixels[0] = 200;
  Image out = resize(image, 3, 2, Filter::kBicubic);
  EXPECT_EQ(out.pixels, image.pixels);  // no premultiplication round trip
}

TEST(Resize, UniformImageStaysUniformWhenUpscaled) {
  Image image = Image::blank(1, 1, PixelMode::kRGB);
  image.pixels = {1, 128, 255};
  Image out = resize(image, 17, 9, Filter::kLanczos);
  for (size_t i = 0; i < out.pixels.size(); i += 3) {
    ASSERT_EQ(out.pixels[i], 1);
    ASSERT_EQ(out.pixels[i + 1], 128);
    ASSERT_EQ(out.pixels[i + 2], 255);
  }
}

TEST(Resize, RejectsBadSizesAndSixteenBitFilters) {
  Image image = Image::blank(4, 4, PixelMode::kRGB);
  EXPECT_THROW(resize(image, 0, 4, Filter::kBicubic), Error);
  EXPECT_THROW(resize(image, 4, -1, Filter::kBicubic), Error);
  Image gray16 = Image::blank(4, 4, PixelMode::kI16);
  try {
    resize(gray16, 2, 2, Filter::kBicubic);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kUnsupported);
  }
  EXPECT_NO_THROW(resize(gray16, 2, 2, Filter::kNearest));
  Image broken = Image::blank(4, 4, PixelMode::kRGB);
  broken.pixels.pop_back();
  EXPECT_THROW(resize(broken, 2, 2, Filter::kBicubic), Error);
}

TEST(Resize, ParsesFilterNames) {
  for (Filter filter : {Filter::kNearest, Filter::kBox, Filter::kBilinear, Filter::kHamming,
                        Filter::kBicubic, Filter::kLanczos}) {
    EXPECT_EQ(parse_filter(filter_name(filter)), filter);
  }
  EXPECT_THROW(parse_filter("BICUBIC"), Error);
}

}  // namespace
}  // namespace clipscope::image
