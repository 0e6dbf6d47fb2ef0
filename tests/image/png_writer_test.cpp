#include "clipscope/image/png_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "test_support.h"

namespace clipscope::image {
namespace {

using clipscope::testing::make_temp_dir;

Image gradient(int width, int height, PixelMode mode) {
  Image image = Image::blank(width, height, mode);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<uint8_t>((i * 7) % 251);
  }
  return image;
}

// Decodes with Pillow so the check does not rely on our own reader.
std::string describe_with_pillow(const std::filesystem::path& path) {
  auto script = path.parent_path() / "describe.py";
  io::write_file_atomic(script,
                        "import sys, hashlib\nfrom PIL import Image\n"
                        "im = Image.open(sys.argv[1])\n"
                        "print(im.mode, im.size[0], im.size[1], "
                        "hashlib.sha1(im.tobytes()).hexdigest())\n");
  auto output = path.parent_path() / "describe.txt";
  std::string command = "/usr/bin/python3 " + script.string() + " " + path.string() + " > " +
                        output.string();
  if (std::system(command.c_str()) != 0) {
    return "python failed";
  }
  std::string text = io::read_file(output);
  return text.substr(0, text.find('\n'));
}

TEST(PngWriter, SameImageGivesSameBytes) {
  Image image = gradient(31, 17, PixelMode::kRGB);
  EXPECT_EQ(encode_png(image), encode_png(image));
}

TEST(PngWriter, HasNoTimeOrTextChunks) {
  std::string bytes = encode_png(gradient(8, 8, PixelMode::kRGBA));
  EXPECT_EQ(bytes.find("tIME"), std::string::npos);
  EXPECT_EQ(bytes.find("tEXt"), std::string::npos);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
}

TEST(PngWriter, PillowReadsEveryMode) {
  if (!std::filesystem::exists("/usr/bin/python3")) {
    GTEST_SKIP() << "needs /usr/bin/python3 with PIL to check the files independently";
  }
  auto folder = make_temp_dir();
  for (PixelMode mode : {PixelMode::kL, PixelMode::kLA, PixelMode::kRGB, PixelMode::kRGBA}) {
    Image image = gradient(13, 5, mode);
    auto path = folder / (std::string(mode_name(mode)) + ".png");
    write_png(path, image);
    std::string description = describe_with_pillow(path);
    EXPECT_EQ(description.substr(0, description.find(' ')), mode_name(mode));
    EXPECT_NE(description.find(" 13 5 "), std::string::npos) << description;
  }
}

TEST(PngWriter, RejectsUnsupportedModeWithoutFile) {
  auto folder = make_temp_dir();
  Image image = Image::blank(4, 4, PixelMode::kCMYK);
  try {
    write_png(folder / "cmyk.png", image);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(error.what()).find("CMYK"), std::string::npos);
  }
  EXPECT_TRUE(std::filesystem::is_empty(folder));
}

TEST(PngWriter, RejectsShortBuffer) {
  Image image = Image::blank(4, 4, PixelMode::kRGB);
  image.pixels.resize(10);
  EXPECT_THROW(encode_png(image), Error);
}

}  // namespace
}  // namespace clipscope::image
