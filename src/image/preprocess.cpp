#include "clipscope/image/preprocess.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "clipscope/error.h"
#include "clipscope/image/convert.h"
#include "clipscope/image/resample.h"

namespace clipscope::image {

namespace {

enum class ResizeMode { kShortest, kLongest, kSquash };

ResizeMode parse_resize_mode(const std::string& name) {
  if (name == "shortest") return ResizeMode::kShortest;
  if (name == "longest") return ResizeMode::kLongest;
  if (name == "squash") return ResizeMode::kSquash;
  fail(ErrorKind::kInvalidArgument,
       "unknown resize_mode '{}' in the preprocessing config; use shortest, longest or squash",
       name);
}

Filter config_filter(const PreprocessConfig& config) {
  // open_clip maps "random" (a training option) to bicubic at inference.
  if (config.interpolation == "random") {
    return Filter::kBicubic;
  }
  try {
    return parse_filter(config.interpolation);
  } catch (const Error&) {
    fail(ErrorKind::kInvalidArgument,
         "unknown interpolation '{}' in the preprocessing config; use bicubic or bilinear (or "
         "another "
         "Pillow filter: nearest, box, hamming, lanczos)",
         config.interpolation);
  }
}

// Python's round() of a double: halves go to the even neighbour.
int round_half_even(double value) {
  return static_cast<int>(std::nearbyint(value));
}

// Returns `image` padded so that it is at least width x height, centred as torchvision's
// center_crop pads (left/top get the smaller half), every channel byte of the border = fill.
Image pad_to_at_least(const Image& image, int width, int height, int fill) {
  if (image.width >= width && image.height >= height) {
    return image;
  }
  const int left = image.width < width ? (width - image.width) / 2 : 0;
  const int top = image.height < height ? (height - image.height) / 2 : 0;
  const int right = image.width < width ? (width - image.width + 1) / 2 : 0;
  const int bottom = image.height < height ? (height - image.height + 1) / 2 : 0;
  Image out = Image::blank(image.width + left + right, image.height + top + bottom, image.mode);
  out.palette = image.palette;
  out.transparency = image.transparency;
  if (image.mode == PixelMode::kI) {
    const int32_t value = fill;
    for (size_t i = 0; i < out.pixels.size(); i += 4) {
      std::memcpy(out.pixels.data() + i, &value, sizeof value);
    }
  } else if (image.mode == PixelMode::kI16) {
    const uint16_t value = static_cast<uint16_t>(std::clamp(fill, 0, 65535));
    for (size_t i = 0; i < out.pixels.size(); i += 2) {
      std::memcpy(out.pixels.data() + i, &value, sizeof value);
    }
  } else {
    std::fill(out.pixels.begin(), out.pixels.end(), static_cast<uint8_t>(std::clamp(fill, 0, 255)));
  }
  const size_t row = image.row_bytes();
  for (int y = 0; y < image.height; ++y) {
    if (row > 0) {
      std::memcpy(out.at(left, top + y), image.at(0, y), row);
    }
  }
  return out;
}

// torchvision's CenterCrop on a PIL image (pads first if the image is smaller).
Image center_crop_torchvision(const Image& image, int size, int fill) {
  Image padded = pad_to_at_least(image, size, size, fill);
  if (padded.width == size && padded.height == size) {
    return padded;
  }
  const int top = round_half_even((padded.height - size) / 2.0);
  const int left = round_half_even((padded.width - size) / 2.0);
  return crop(padded, left, top, size, size);
}

// transformers' center_crop: floor offsets (the images here are never smaller than the crop).
Image center_crop_transformers(const Image& image, int size) {
  Image padded = pad_to_at_least(image, size, size, 0);
  const int top = (padded.height - size) / 2;
  const int left = (padded.width - size) / 2;
  return crop(padded, left, top, size, size);
}

// open_clip's ResizeKeepRatio(longest=1) output size as (width, height).
std::array<int, 2> longest_edge_size(int width, int height, int size) {
  const double ratio_h = static_cast<double>(height) / size;
  const double ratio_w = static_cast<double>(width) / size;
  const double ratio = std::max(ratio_h, ratio_w) * 1.0 + std::min(ratio_h, ratio_w) * 0.0;
  // NOTE: Pillow raises for a side that rounds to 0 (e.g. 1500x1 to 224); clipscope keeps 1 pixel.
  const int new_height = std::max(1, round_half_even(height * 1.0 / ratio));
  const int new_width = std::max(1, round_half_even(width * 1.0 / ratio));
  return {new_width, new_height};
}

Image open_clip_crop(const Image& image, const PreprocessConfig& config, Filter filter,
                     ResizeMode mode) {
  const int size = config.image_size;
  Image cropped;
  switch (mode) {
    case ResizeMode::kShortest: {
      auto [width, height] = shortest_edge_size(image.width, image.height, size);
      cropped = center_crop_torchvision(resize(image, width, height, filter), size, 0);
      break;
    }
    case ResizeMode::kLongest: {
      auto [width, height] = longest_edge_size(image.width, image.height, size);
      cropped =
          center_crop_torchvision(resize(image, width, height, filter), size, config.fill_color);
      break;
    }
    case ResizeMode::kSquash:
      cropped = resize(image, size, size, filter);
      break;
  }
  return convert(cropped, PixelMode::kRGB);
}

Image hugging_face_crop(const Image& image, const PreprocessConfig& config, Filter filter,
                        ResizeMode mode) {
  const int size = config.image_size;
  Image rgb = convert(image, PixelMode::kRGB);
  switch (mode) {
    case ResizeMode::kShortest: {
      auto [width, height] = shortest_edge_size(rgb.width, rgb.height, size);
      return center_crop_transformers(resize(rgb, width, height, filter), size);
    }
    case ResizeMode::kSquash:
      return resize(rgb, size, size, filter);
    case ResizeMode::kLongest:
      break;
  }
  fail(ErrorKind::kUnsupported,
       "resize_mode 'longest' has no Hugging Face CLIPImageProcessor equivalent; use shortest or "
       "squash, or the open_clip style");
}

}  // namespace

std::array<int, 2> shortest_edge_size(int width, int height, int size) {
  const int short_side = std::min(width, height);
  const int long_side = std::max(width, height);
  const int new_long = static_cast<int>(static_cast<double>(size) * long_side / short_side);
  return width <= height ? std::array<int, 2>{size, new_long} : std::array<int, 2>{new_long, size};
}

Image preprocess_crop(const Image& image, const PreprocessConfig& config) {
  check_image(image, "the image to preprocess");
  if (config.image_size < 1) {
    fail(ErrorKind::kInvalidArgument,
         "preprocessing image_size is {}; it must be at least 1 (CLIP uses 224)",
         config.image_size);
  }
  if (image.width < 1 || image.height < 1) {
    fail(ErrorKind::kInvalidArgument,
         "cannot preprocess an empty {}x{} image; decode a non-empty one", image.width,
         image.height);
  }
  const Filter filter = config_filter(config);
  const ResizeMode mode = parse_resize_mode(config.resize_mode);

  // NOTE: Pillow refuses to resize I;16 with bicubic (open_clip would raise); the exact widening to
  // I gives what a user expects.
  if (image.mode == PixelMode::kI16) {
    Image widened = convert(image, PixelMode::kI);
    return preprocess_crop(widened, config);
  }
  if (config.style == PreprocessStyle::kHuggingFace) {
    return hugging_face_crop(image, config, filter, mode);
  }
  return open_clip_crop(image, config, filter, mode);
}

torch::Tensor normalize_crops(const std::vector<Image>& crops, const PreprocessConfig& config) {
  if (crops.empty()) {
    fail(ErrorKind::kInvalidArgument, "normalize_crops got no crops; pass at least one RGB crop");
  }
  const int width = crops[0].width;
  const int height = crops[0].height;
  for (size_t i = 0; i < crops.size(); ++i) {
    const Image& item = crops[i];
    check_image(item, "a crop to normalise");
    if (item.mode != PixelMode::kRGB || item.width != width || item.height != height) {
      fail(ErrorKind::kInvalidArgument,
           "crop {} is {}x{} mode {} but crop 0 is {}x{} RGB; pass RGB crops of one size (from "
           "preprocess_crop)",
           i, item.width, item.height, mode_name(item.mode), width, height);
    }
  }

  // A byte has 256 values, so each channel's normalised value is a table look-up. The table holds
  // exactly the float32 operations of the reference, one IEEE rounding per step:
  // torchvision ToTensor + Normalize: (float(x) / 255 - mean) / std;
  // transformers: float32(x * (1/255) in float64), then (x - mean) / std.
  float table[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int x = 0; x < 256; ++x) {
      const float scaled = config.style == PreprocessStyle::kHuggingFace
                               ? static_cast<float>(x * (1.0 / 255.0))
                               : static_cast<float>(x) / 255.0f;
      table[c][x] = (scaled - config.mean[c]) / config.std[c];
    }
  }

  const int64_t plane = static_cast<int64_t>(width) * height;
  auto tensor =
      torch::empty({static_cast<int64_t>(crops.size()), 3, height, width}, torch::kFloat32);
  float* out = tensor.data_ptr<float>();
  for (size_t n = 0; n < crops.size(); ++n) {
    const uint8_t* pixels = crops[n].pixels.data();
    float* planes = out + static_cast<int64_t>(n) * 3 * plane;
    for (int64_t p = 0; p < plane; ++p) {
      planes[p] = table[0][pixels[3 * p]];
      planes[plane + p] = table[1][pixels[3 * p + 1]];
      planes[2 * plane + p] = table[2][pixels[3 * p + 2]];
    }
  }
  return tensor;  // [N, 3, H, W]
}

}  // namespace clipscope::image
