#include "clipscope/image/decode.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "clipscope/error.h"
#include "clipscope/image/preprocess.h"
#include "image_fixtures.h"
#include "test_support.h"

namespace clipscope::image {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;
using testing::expected;
using testing::fixture_folder;
using testing::pixel_hash;

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Returns the error decode_image(file) throws; fails the test if it throws none.
Error decode_error(const std::filesystem::path& file) {
  try {
    decode_image(file);
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "no error for " << file;
  return Error(ErrorKind::kIo, "");
}

void expect_one_line_naming(const Error& error, const std::string& name, const std::string& words) {
  std::string message = error.what();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find(name), std::string::npos) << message;
  EXPECT_NE(message.find(words), std::string::npos) << message;
}

TEST(DecodeImage, MatchesPillowForEveryFixtureFile) {
  const auto& files = expected()["files"];
  ASSERT_GE(files.size(), 20u);
  for (const auto& [name, want] : files.items()) {
    SCOPED_TRACE(name);
    Image image = decode_image(fixture_folder() / name);
    EXPECT_EQ(mode_name(image.mode), want["mode"].get<std::string>());
    EXPECT_EQ(image.width, want["width"].get<int>());
    EXPECT_EQ(image.height, want["height"].get<int>());
    EXPECT_EQ(pixel_hash(image), want["pixels"].get<std::string>());
    EXPECT_EQ(pixel_hash(convert(image, PixelMode::kRGB)), want["rgb"].get<std::string>());
    EXPECT_EQ(pixel_hash(convert(image, PixelMode::kRGBA)), want["rgba"].get<std::string>());
  }
}

TEST(DecodeImage, MatchesPillowForSharedFixtureImages) {
  const auto& images = expected()["shared_open_clip_images"];
  ASSERT_EQ(images.size(), 93u);
  auto folder = shared_path("fixtures/open_clip-2.30.0");
  for (const auto& [name, want] : images.items()) {
    SCOPED_TRACE(name);
    Image image = decode_image(folder / name);
    EXPECT_EQ(mode_name(image.mode), want["mode"].get<std::string>());
    EXPECT_EQ(image.width, want["width"].get<int>());
    EXPECT_EQ(image.height, want["height"].get<int>());
    EXPECT_EQ(pixel_hash(image), want["pixels"].get<std::string>());
  }
}

TEST(DecodeImage, CropsOfFixtureFilesMatchBothReferences) {
  for (const auto& [name, want] : expected()["files"].items()) {
    SCOPED_TRACE(name);
    Image image = decode_image(fixture_folder() / name);
    for (int size : expected()["crop_sizes"]) {
      PreprocessConfig config;
      config.image_size = size;
      EXPECT_EQ(pixel_hash(preprocess_crop(image, config)),
                want[fmt::format("crop_open_clip_{}", size)])
          << "open_clip, size " << size;
      config.style = PreprocessStyle::kHuggingFace;
      EXPECT_EQ(pixel_hash(preprocess_crop(image, config)), want[fmt::format("crop_hf_{}", size)])
          << "Hugging Face, size " << size;
    }
  }
}

TEST(DecodeImage, DecodesFromMemoryAsFromFile) {
  for (const char* name : {"rgb8_adam7.png", "ycc420_progressive.jpg", "cmyk.jpg"}) {
    auto bytes = read_bytes(fixture_folder() / name);
    Image from_memory = decode_image(std::span<const uint8_t>(bytes), name);
    Image from_file = decode_image(fixture_folder() / name);
    EXPECT_EQ(from_memory.pixels, from_file.pixels) << name;
    EXPECT_EQ(from_memory.mode, from_file.mode) << name;
  }
}

TEST(DecodeImage, PaletteHoldsPngColoursAndTransparency) {
  Image image = decode_image(fixture_folder() / "p8_trns_adam7.png");
  ASSERT_EQ(image.palette.size(), 1024u);
  EXPECT_EQ(image.palette[3], 0);  // tRNS entry 0
  EXPECT_EQ(image.palette[40 * 4 + 3], 255);
  EXPECT_EQ(image.palette[45 * 4 + 3], 128);
  EXPECT_EQ(image.palette[70 * 4 + 3], 255);  // past the tRNS entries
  // Entries past the PLTE keep Pillow's gray ramp.
  EXPECT_EQ(image.palette[200 * 4 + 0], 200);
  EXPECT_EQ(image.palette[200 * 4 + 2], 200);
}

TEST(DecodeImage, MissingFileIsNotFound) {
  auto path = make_temp_dir() / "nowhere.png";
  Error error = decode_error(path);
  EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  expect_one_line_naming(error, path.string(), "check the path");
}

TEST(DecodeImage, EmptyFileIsInvalid) {
  auto path = make_temp_dir() / "empty.jpg";
  write_bytes(path, {});
  Error error = decode_error(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
  expect_one_line_naming(error, path.string(), "empty");
}

TEST(DecodeImage, TextFileNamedPngIsRejectedByContent) {
  auto path = make_temp_dir() / "notes.png";
  std::string text = "these are not pixels\n";
  write_bytes(path,
              std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  Error error = decode_error(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
  expect_one_line_naming(error, path.string(), "not a PNG or JPEG");
}

TEST(DecodeImage, FolderAndGifAreRejected) {
  auto folder = make_temp_dir();
  EXPECT_EQ(decode_error(folder).kind(), ErrorKind::kInvalidArgument);
  std::string gif = "GIF89a\x01\x00\x01\x00";
  auto path = folder / "a.gif";
  write_bytes(path,
              std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(gif.data()), gif.size()));
  Error error = decode_error(path);
  EXPECT_EQ(error.kind(), ErrorKind::kUnsupported);
  expect_one_line_naming(error, "a.gif", "GIF");
}

TEST(DecodeImage, TruncatedPngIsInvalid) {
  auto bytes = read_bytes(fixture_folder() / "rgb8_adam7.png");
  auto path = make_temp_dir() / "cut.png";
  write_bytes(path, std::span<const uint8_t>(bytes).first(bytes.size() / 2));
  Error error = decode_error(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
  expect_one_line_naming(error, path.string(), "truncated");
}

TEST(DecodeImage, TruncatedJpegIsInvalid) {
  auto folder = make_temp_dir();
  auto coco = shared_path("data/coco-mini/train2017/000000000790.jpg");
  for (const auto& source :
       {coco, fixture_folder() / "ycc420_progressive.jpg", fixture_folder() / "ycc444.jpg"}) {
    auto bytes = read_bytes(source);
    auto path = folder / ("cut-" + source.filename().string());
    write_bytes(path, std::span<const uint8_t>(bytes).first(bytes.size() * 2 / 3));
    Error error = decode_error(path);
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    expect_one_line_naming(error, path.string(), "truncated");
  }
}

TEST(DecodeImage, EveryTruncationEitherDecodesOrThrows) {
  // Cuts at every length: libpng and libjpeg must report through clipscope::Error, never abort.
  for (const char* name :
       {"rgba8_adam7.png", "p4_trns.png", "ycc422.jpg", "gray_progressive.jpg", "cmyk.jpg"}) {
    auto bytes = read_bytes(fixture_folder() / name);
    int decoded = 0;
    for (size_t length = 0; length < bytes.size(); ++length) {
      try {
        decode_image(std::span<const uint8_t>(bytes).first(length), name);
        ++decoded;
      } catch (const Error& error) {
        ASSERT_EQ(std::string(error.what()).find('\n'), std::string::npos);
      }
    }
    // Only cuts inside the trailing IEND chunk or EOI marker may still decode.
    EXPECT_LE(decoded, 12) << name;
  }
}

TEST(DecodeImage, CorruptedBytesEitherDecodeOrThrow) {
  for (const char* name : {"rgb8_adam7.png", "ycc420_optimized.jpg", "ycc420_progressive.jpg"}) {
    auto original = read_bytes(fixture_folder() / name);
    for (size_t position = 2; position < original.size(); position += 7) {
      auto bytes = original;
      bytes[position] ^= 0xa5;
      try {
        decode_image(std::span<const uint8_t>(bytes), name);
      } catch (const Error&) {
      }
    }
  }
}

TEST(DecodeImage, CorruptJpegDataWarnsButDecodesAsPillowDoes) {
  Image image = decode_image(fixture_folder() / "corrupt_data.jpg");
  EXPECT_EQ(pixel_hash(image),
            expected()["files"]["corrupt_data.jpg"]["pixels"].get<std::string>());
}

TEST(DecodeImage, IgnoresExifOrientationAsPillowDoes) {
  Image image = decode_image(fixture_folder() / "exif_rotated.jpg");
  EXPECT_EQ(image.width, 43);
  EXPECT_EQ(image.height, 31);
}

// Returns a PNG signature and IHDR chunk (with a valid CRC) for the given size, followed by IEND.
std::vector<uint8_t> png_header(uint32_t width, uint32_t height) {
  std::vector<uint8_t> bytes = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                0,    0,   0,   13,  'I',  'H',  'D',  'R'};
  for (uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<uint8_t>(v >> shift));
    }
  }
  for (int v : {8, 2, 0, 0, 0}) {
    bytes.push_back(static_cast<uint8_t>(v));
  }
  uint32_t crc = 0xffffffffu;
  for (size_t i = 12; i < bytes.size(); ++i) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
  }
  crc ^= 0xffffffffu;
  for (int shift = 24; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<uint8_t>(crc >> shift));
  }
  for (int v : {0, 0, 0, 0, int{'I'}, int{'E'}, int{'N'}, int{'D'}, 0xae, 0x42, 0x60, 0x82}) {
    bytes.push_back(static_cast<uint8_t>(v));
  }
  return bytes;
}

TEST(DecodeImage, AbsurdSizeIsRefusedBeforeAllocating) {
  auto folder = make_temp_dir();
  auto path = folder / "huge.png";
  auto png = png_header(100000, 100000);
  write_bytes(path, png);
  Error error = decode_error(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
  expect_one_line_naming(error, path.string(), "downscale");

  // A JPEG whose frame header claims 65000 x 65000 pixels.
  auto jpeg = read_bytes(fixture_folder() / "ycc444.jpg");
  bool patched = false;
  for (size_t i = 0; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xff && (jpeg[i + 1] == 0xc0 || jpeg[i + 1] == 0xc2)) {
      jpeg[i + 5] = jpeg[i + 7] = 0xfd;
      jpeg[i + 6] = jpeg[i + 8] = 0xe8;
      patched = true;
      break;
    }
  }
  ASSERT_TRUE(patched);
  auto jpeg_path = folder / "huge.jpg";
  write_bytes(jpeg_path, jpeg);
  Error jpeg_error = decode_error(jpeg_path);
  EXPECT_EQ(jpeg_error.kind(), ErrorKind::kInvalidArgument);
  expect_one_line_naming(jpeg_error, jpeg_path.string(), "downscale");
}

TEST(DecodeImage, HeaderOnlyPngIsTruncated) {
  auto png = png_header(4, 4);
  png.resize(png.size() - 12);  // drop IEND: the data ends right after IHDR
  try {
    decode_image(std::span<const uint8_t>(png), "header.png");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("'header.png'"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace clipscope::image
