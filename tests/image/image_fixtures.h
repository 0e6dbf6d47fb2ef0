// Access to tests/fixtures/images/ (written by tests/fixtures/make_images.py): the small image
// files and expected.json, whose values are FNV-1a 64 hashes of what Pillow 9.4 produces.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "clipscope/image/convert.h"
#include "clipscope/image/decode.h"
#include "clipscope/image/image.h"

namespace clipscope::image::testing {

/// Returns the folder of the image fixtures.
inline std::filesystem::path fixture_folder() {
  return std::filesystem::path(CLIPSCOPE_SOURCE_DIR) / "tests" / "fixtures" / "images";
}

/// Returns expected.json, parsed once.
inline const nlohmann::json& expected() {
  static const nlohmann::json parsed = [] {
    std::ifstream in(fixture_folder() / "expected.json");
    return nlohmann::json::parse(in);
  }();
  return parsed;
}

/// FNV-1a 64 of a byte range, as 16 lowercase hex digits (as make_images.py writes it).
inline std::string fnv1a64(const uint8_t* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

/// Hash of an image's pixel bytes.
inline std::string pixel_hash(const Image& image) {
  return fnv1a64(image.pixels.data(), image.pixels.size());
}

/// Returns the mode of a Pillow mode name.
inline PixelMode mode_from_name(const std::string& name) {
  for (PixelMode mode :
       {PixelMode::kL, PixelMode::kLA, PixelMode::kRGB, PixelMode::kRGBA, PixelMode::kP,
        PixelMode::kI16, PixelMode::kCMYK, PixelMode::kI, PixelMode::k1}) {
    if (name == mode_name(mode)) {
      return mode;
    }
  }
  throw std::runtime_error("unknown mode " + name);
}

/// Decodes a fixture source named as in expected.json: "file" or "file:MODE" (decoded, then
/// converted to MODE).
inline Image load_source(const std::string& source) {
  auto colon = source.find(':');
  Image image = decode_image(fixture_folder() / source.substr(0, colon));
  if (colon != std::string::npos) {
    image = convert(image, mode_from_name(source.substr(colon + 1)));
  }
  return image;
}

}  // namespace clipscope::image::testing
