#include "clipscope/image/preprocess.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "clipscope/error.h"
#include "clipscope/image/convert.h"
#include "clipscope/image/decode.h"
#include "clipscope/io/npy.h"
#include "test_support.h"

namespace clipscope::image {
namespace {

using clipscope::testing::shared_path;

constexpr int kCropSize = 224;
constexpr size_t kCropBytes = static_cast<size_t>(kCropSize) * kCropSize * 3;

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

// Describes how a crop differs from the reference, or returns "" when it is equal.
std::string compare_crop(const Image& crop, const uint8_t* expected) {
  if (crop.mode != PixelMode::kRGB || crop.width != kCropSize || crop.height != kCropSize) {
    return fmt::format("got a {}x{} {} crop", crop.width, crop.height, mode_name(crop.mode));
  }
  size_t differing = 0;
  int max_difference = 0;
  size_t first = 0;
  for (size_t i = 0; i < kCropBytes; ++i) {
    int difference = std::abs(static_cast<int>(crop.pixels[i]) - expected[i]);
    if (difference != 0) {
      if (differing == 0) {
        first = i;
      }
      ++differing;
      max_difference = std::max(max_difference, difference);
    }
  }
  if (differing == 0) {
    return "";
  }
  return fmt::format("{} bytes differ (max {}), first at row {} column {} channel {}", differing,
                     max_difference, first / (kCropSize * 3), first / 3 % kCropSize, first % 3);
}

struct CropFixture {
  std::filesystem::path folder;
  std::vector<std::string> images;
  io::NpyArray crops;
};

CropFixture load_fixture(const std::string& folder, const std::string& list,
                         const std::string& crops) {
  CropFixture fixture;
  fixture.folder = shared_path(folder);
  fixture.images = read_lines(fixture.folder / list);
  fixture.crops = io::read_npy(fixture.folder / crops);
  return fixture;
}

void expect_crops_match(const CropFixture& fixture, const PreprocessConfig& config) {
  ASSERT_EQ(fixture.crops.dtype, "|u1");
  ASSERT_EQ(fixture.crops.shape, (std::vector<int64_t>{static_cast<int64_t>(fixture.images.size()),
                                                       kCropSize, kCropSize, 3}));
  int failures = 0;
  for (size_t i = 0; i < fixture.images.size(); ++i) {
    Image image = decode_image(fixture.folder / fixture.images[i]);
    Image crop = preprocess_crop(image, config);
    std::string difference = compare_crop(crop, fixture.crops.data.data() + i * kCropBytes);
    if (!difference.empty()) {
      ++failures;
      ADD_FAILURE() << fixture.images[i] << " (mode " << mode_name(image.mode) << ", "
                    << image.width << "x" << image.height << "): " << difference;
    }
  }
  EXPECT_EQ(failures, 0) << "of " << fixture.images.size() << " images";
}

TEST(PreprocessCrop, OpenClipCropsEqualReferenceForEveryFixtureImage) {
  CropFixture fixture =
      load_fixture("fixtures/open_clip-2.30.0", "images.txt", "images.crops_uint8.npy");
  ASSERT_EQ(fixture.images.size(), 93u);
  expect_crops_match(fixture, PreprocessConfig{});
}

TEST(PreprocessCrop, HuggingFaceCropsEqualProcessorForEveryFixtureImage) {
  CropFixture fixture = load_fixture("fixtures/hf-format", "images_hf_processor.txt",
                                     "images.crops_uint8_hf_processor.npy");
  ASSERT_EQ(fixture.images.size(), 92u);
  PreprocessConfig config;
  config.style = PreprocessStyle::kHuggingFace;
  expect_crops_match(fixture, config);
}

TEST(PreprocessCrop, HuggingFaceStyleResizesOnePixelImageInsteadOfFailing) {
  // transformers 4.36 raises on 1x1 images; clipscope gives the uniform crop a user expects.
  Image pixel = Image::blank(1, 1, PixelMode::kRGB);
  pixel.pixels = {10, 200, 30};
  PreprocessConfig config;
  config.style = PreprocessStyle::kHuggingFace;
  Image crop = preprocess_crop(pixel, config);
  ASSERT_EQ(crop.width, kCropSize);
  ASSERT_EQ(crop.height, kCropSize);
  for (size_t i = 0; i < crop.pixels.size(); i += 3) {
    ASSERT_EQ(crop.pixels[i], 10);
    ASSERT_EQ(crop.pixels[i + 1], 200);
    ASSERT_EQ(crop.pixels[i + 2], 30);
  }
}

TEST(PreprocessCrop, ShortestEdgeSizeTruncatesLongSide) {
  EXPECT_EQ(shortest_edge_size(640, 427, 224), (std::array<int, 2>{335, 224}));
  EXPECT_EQ(shortest_edge_size(227, 600, 224), (std::array<int, 2>{224, 592}));
  EXPECT_EQ(shortest_edge_size(1, 1, 224), (std::array<int, 2>{224, 224}));
  EXPECT_EQ(shortest_edge_size(1500, 40, 224), (std::array<int, 2>{8400, 224}));
}

TEST(PreprocessCrop, OpenClipRoundsOddCropOffsetHalfToEven) {
  // A 227x224 image needs no resize; the horizontal margin is 3, so torchvision's
  // round(1.5) = 2 starts the crop at column 2, while transformers' floor starts it at 1.
  Image image = Image::blank(227, 224, PixelMode::kL);
  for (int x = 0; x < 227; ++x) {
    for (int y = 0; y < 224; ++y) {
      *image.at(x, y) = static_cast<uint8_t>(x);
    }
  }
  PreprocessConfig config;
  EXPECT_EQ(preprocess_crop(image, config).pixels[0], 2);
  config.style = PreprocessStyle::kHuggingFace;
  EXPECT_EQ(preprocess_crop(image, config).pixels[0], 1);

  // A margin of 1 rounds half to even: round(0.5) = 0.
  Image narrow = Image::blank(225, 224, PixelMode::kL);
  *narrow.at(0, 0) = 77;
  config.style = PreprocessStyle::kOpenClip;
  EXPECT_EQ(preprocess_crop(narrow, config).pixels[0], 77);
}

TEST(PreprocessCrop, SquashAndLongestModesGiveSquareCrops) {
  Image image = Image::blank(300, 100, PixelMode::kRGB);
  std::fill(image.pixels.begin(), image.pixels.end(), 200);
  PreprocessConfig config;
  config.resize_mode = "squash";
  Image squashed = preprocess_crop(image, config);
  EXPECT_EQ(squashed.width, 224);
  EXPECT_EQ(squashed.height, 224);
  EXPECT_EQ(squashed.pixels[0], 200);

  // "longest" scales 300x100 to 224x75 and pads 74 rows of fill_color above and 75 below.
  config.resize_mode = "longest";
  config.fill_color = 9;
  Image padded = preprocess_crop(image, config);
  EXPECT_EQ(padded.width, 224);
  EXPECT_EQ(padded.height, 224);
  EXPECT_EQ(*padded.at(0, 73), 9);
  EXPECT_EQ(*padded.at(0, 74), 200);
  EXPECT_EQ(*padded.at(0, 148), 200);
  EXPECT_EQ(*padded.at(0, 149), 9);

  config.style = PreprocessStyle::kHuggingFace;
  EXPECT_THROW(preprocess_crop(image, config), Error);
}

TEST(PreprocessCrop, RejectsInvalidConfig) {
  Image image = Image::blank(10, 10, PixelMode::kRGB);
  PreprocessConfig config;
  config.image_size = 0;
  EXPECT_THROW(preprocess_crop(image, config), Error);
  config = PreprocessConfig{};
  config.interpolation = "cubic";
  try {
    preprocess_crop(image, config);
    FAIL() << "no error for an unknown interpolation";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("'cubic'"), std::string::npos) << error.what();
  }
  config = PreprocessConfig{};
  config.resize_mode = "fit";
  EXPECT_THROW(preprocess_crop(image, config), Error);
  EXPECT_THROW(preprocess_crop(Image::blank(0, 5, PixelMode::kRGB), PreprocessConfig{}), Error);
}

TEST(PreprocessCrop, SixteenBitGrayIsWidenedBeforeResizing) {
  Image gray16 = Image::blank(2, 2, PixelMode::kI16);
  const uint16_t values[4] = {100, 200, 300, 40000};
  std::memcpy(gray16.pixels.data(), values, sizeof values);
  Image crop = preprocess_crop(gray16, PreprocessConfig{});
  EXPECT_EQ(crop.width, kCropSize);
  EXPECT_EQ(crop.pixels,
            preprocess_crop(convert(gray16, PixelMode::kI), PreprocessConfig{}).pixels);
  EXPECT_EQ(crop.pixels[crop.pixels.size() - 1], 255);  // 40000 clips to white
}

TEST(NormalizeCrops, EqualsTorchvisionFormulaBitForBit) {
  CropFixture fixture =
      load_fixture("fixtures/open_clip-2.30.0", "images.txt", "images.crops_uint8.npy");
  std::vector<Image> crops;
  for (int i = 0; i < 3; ++i) {
    Image crop = Image::blank(kCropSize, kCropSize, PixelMode::kRGB);
    std::memcpy(crop.pixels.data(), fixture.crops.data.data() + i * kCropBytes, kCropBytes);
    crops.push_back(std::move(crop));
  }
  // Every byte value, so that each of the 256 quotients is checked in every channel.
  for (size_t i = 0; i < 256 * 3; ++i) {
    crops[2].pixels[i] = static_cast<uint8_t>(i / 3);
  }
  PreprocessConfig config;
  torch::Tensor tensor = normalize_crops(crops, config);
  ASSERT_EQ(tensor.sizes(), (std::vector<int64_t>{3, 3, kCropSize, kCropSize}));
  ASSERT_EQ(tensor.dtype(), torch::kFloat32);
  const float* values = tensor.data_ptr<float>();
  for (int n = 0; n < 3; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < kCropSize * kCropSize; ++p) {
        float x = crops[n].pixels[static_cast<size_t>(p) * 3 + c];
        float expected = (x / 255.0f - config.mean[c]) / config.std[c];
        float got = values[(static_cast<size_t>(n) * 3 + c) * kCropSize * kCropSize + p];
        ASSERT_EQ(std::memcmp(&expected, &got, sizeof got), 0)
            << "crop " << n << " channel " << c << " pixel " << p << ": " << got << " vs "
            << expected;
      }
    }
  }
}

TEST(NormalizeCrops, EqualsTorchvisionOperationsRunByLibTorch) {
  // The ops torchvision runs: ToTensor (permute, float, div 255), Normalize (sub_, div_).
  Image crop = Image::blank(16, 16, PixelMode::kRGB);
  for (size_t i = 0; i < crop.pixels.size(); ++i) {
    crop.pixels[i] = static_cast<uint8_t>((i * 37) % 256);
  }
  PreprocessConfig config;
  auto bytes = torch::from_blob(crop.pixels.data(), {16, 16, 3}, torch::kUInt8);
  auto reference = bytes.permute({2, 0, 1}).contiguous().to(torch::kFloat32).div(255);
  reference.sub_(torch::tensor({config.mean[0], config.mean[1], config.mean[2]}).view({3, 1, 1}))
      .div_(torch::tensor({config.std[0], config.std[1], config.std[2]}).view({3, 1, 1}));
  torch::Tensor tensor = normalize_crops({crop}, config);
  EXPECT_TRUE(torch::equal(tensor[0], reference));
}

TEST(NormalizeCrops, HuggingFaceStyleRescalesInDoubleThenFloat) {
  Image crop = Image::blank(16, 16, PixelMode::kRGB);
  for (size_t i = 0; i < crop.pixels.size(); ++i) {
    crop.pixels[i] = static_cast<uint8_t>(i % 256);
  }
  PreprocessConfig config;
  config.style = PreprocessStyle::kHuggingFace;
  torch::Tensor tensor = normalize_crops({crop}, config);
  const float* values = tensor.data_ptr<float>();
  for (int c = 0; c < 3; ++c) {
    for (int p = 0; p < 256; ++p) {
      float x = static_cast<float>(crop.pixels[static_cast<size_t>(p) * 3 + c] * (1.0 / 255.0));
      float expected = (x - config.mean[c]) / config.std[c];
      ASSERT_EQ(values[c * 256 + p], expected) << "channel " << c << " pixel " << p;
    }
  }
}

TEST(NormalizeCrops, DefaultMeanAndStdEqualPythonFloatsRoundedToFloat32) {
  // torchvision builds its mean/std tensors from Python floats (doubles); rounding those to
  // float32 must give the float literals in PreprocessConfig.
  PreprocessConfig config;
  const double mean[3] = {0.48145466, 0.4578275, 0.40821073};
  const double deviation[3] = {0.26862954, 0.26130258, 0.27577711};
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(static_cast<float>(mean[c]), config.mean[c]);
    EXPECT_EQ(static_cast<float>(deviation[c]), config.std[c]);
  }
}

TEST(NormalizeCrops, RejectsMixedOrNonRgbCrops) {
  PreprocessConfig config;
  EXPECT_THROW(normalize_crops({}, config), Error);
  EXPECT_THROW(
      normalize_crops({Image::blank(4, 4, PixelMode::kRGB), Image::blank(4, 5, PixelMode::kRGB)},
                      config),
      Error);
  EXPECT_THROW(normalize_crops({Image::blank(4, 4, PixelMode::kRGBA)}, config), Error);
}

TEST(PreprocessCrop, ParallelDecodingGivesTheSameCrops) {
  CropFixture fixture =
      load_fixture("fixtures/open_clip-2.30.0", "images.txt", "images.crops_uint8.npy");
  constexpr int kThreads = 4;
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < fixture.images.size(); i += kThreads) {
        Image crop =
            preprocess_crop(decode_image(fixture.folder / fixture.images[i]), PreprocessConfig{});
        if (!compare_crop(crop, fixture.crops.data.data() + i * kCropBytes).empty()) {
          failures[t] += fixture.images[i] + " ";
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], "") << "thread " << t;
  }
}

}  // namespace
}  // namespace clipscope::image
