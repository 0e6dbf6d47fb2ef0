#include "clipscope/image/convert.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "image_fixtures.h"

namespace clipscope::image {
namespace {

using testing::expected;
using testing::load_source;
using testing::mode_from_name;
using testing::pixel_hash;

TEST(Convert, MatchesPillowForEveryModePair) {
  const auto& cases = expected()["conversions"];
  ASSERT_GE(cases.size(), 50u);
  for (const auto& item : cases) {
    const std::string source = item["source"];
    const std::string to = item["to"];
    Image image = load_source(source);
    EXPECT_EQ(pixel_hash(convert(image, mode_from_name(to))), item["hash"].get<std::string>())
        << source << " (" << mode_name(image.mode) << ") to " << to;
  }
}

TEST(Convert, KnownValues) {
  Image rgb = Image::blank(2, 1, PixelMode::kRGB);
  rgb.pixels = {255, 0, 0, 10, 200, 30};
  // Pillow: L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16.
  EXPECT_EQ(convert(rgb, PixelMode::kL).pixels, (std::vector<uint8_t>{76, 124}));

  Image cmyk = Image::blank(1, 1, PixelMode::kCMYK);
  cmyk.pixels = {0, 255, 128, 64};
  // nk = 191; R = 191, G = 191 - 191 = 0, B = 191 - round(128 * 191 / 255) = 95.
  EXPECT_EQ(convert(cmyk, PixelMode::kRGB).pixels, (std::vector<uint8_t>{191, 0, 95}));

  Image rgba = Image::blank(1, 1, PixelMode::kRGBA);
  rgba.pixels = {9, 8, 7, 0};
  EXPECT_EQ(convert(rgba, PixelMode::kRGB).pixels,
            (std::vector<uint8_t>{9, 8, 7}));  // no compositing
}

TEST(Convert, RefusesQuantisingTargetsAndBrokenImages) {
  Image rgb = Image::blank(2, 2, PixelMode::kRGB);
  try {
    convert(rgb, PixelMode::kP);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kUnsupported);
  }
  EXPECT_THROW(convert(rgb, PixelMode::k1), Error);
  Image palette = Image::blank(2, 2, PixelMode::kP);
  palette.palette.clear();
  EXPECT_THROW(convert(palette, PixelMode::kRGB), Error);
}

TEST(Convert, SameModeIsCopy) {
  Image image = Image::blank(2, 2, PixelMode::kLA);
  image.pixels[1] = 3;
  EXPECT_EQ(convert(image, PixelMode::kLA).pixels, image.pixels);
}

}  // namespace
}  // namespace clipscope::image
