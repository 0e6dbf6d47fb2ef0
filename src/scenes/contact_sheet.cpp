#include "clipscope/scenes/contact_sheet.h"

#include <algorithm>
#include <cmath>

#include "clipscope/error.h"
#include "clipscope/image/convert.h"
#include "clipscope/image/decode.h"
#include "clipscope/image/png_writer.h"
#include "clipscope/image/resample.h"
#include "clipscope/scenes/manifest.h"

namespace clipscope::scenes {

namespace {

constexpr int kGap = 4;
constexpr int kMaxTile = 2048;
// Pillow's MAX_IMAGE_PIXELS (9.4), above which it warns of a decompression bomb.
constexpr int64_t kMaxSheetPixels = image::kMaxImagePixels / 2;

}  // namespace

image::Image make_contact_sheet(const std::vector<std::filesystem::path>& images, int columns, int tile) {
  if (images.empty() || columns < 1 || tile < 8 || tile > kMaxTile) {
    fail(ErrorKind::kInvalidArgument,
         "a contact sheet needs at least one image, 1 or more columns and tiles of 8 to {} pixels "
         "(got {} images, {} columns, {} px); change --columns or --tile",
         kMaxTile, images.size(), columns, tile);
  }
  const int64_t count = static_cast<int64_t>(images.size());
  const int64_t sheet_width = std::min<int64_t>(columns, count) * (tile + kGap) + kGap;
  const int64_t sheet_height = (count + columns - 1) / columns * (tile + kGap) + kGap;
  if (sheet_width * sheet_height > kMaxSheetPixels) {
    fail(ErrorKind::kInvalidArgument,
         "a contact sheet of {} images in {} columns with {} px tiles would be {}x{} pixels, more "
         "than the {} Pillow opens without a warning; lower --tile or --limit",
         count, columns, tile, sheet_width, sheet_height, kMaxSheetPixels);
  }
  int used_columns = std::min<int>(columns, static_cast<int>(images.size()));
  int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
  image::Image sheet = image::Image::blank(used_columns * (tile + kGap) + kGap,
                                           rows * (tile + kGap) + kGap, image::PixelMode::kRGB);
  std::fill(sheet.pixels.begin(), sheet.pixels.end(), 255);

  for (size_t index = 0; index < images.size(); ++index) {
    image::Image picture = image::convert(image::decode_image(images[index]), image::PixelMode::kRGB);
    double scale = std::min(static_cast<double>(tile) / picture.width, static_cast<double>(tile) / picture.height);
    int width = std::max(1, static_cast<int>(std::lround(picture.width * scale)));
    int height = std::max(1, static_cast<int>(std::lround(picture.height * scale)));
    image::Image scaled = image::resize(picture, width, height, image::Filter::kBicubic);
    int left = kGap + static_cast<int>(index % columns) * (tile + kGap) + (tile - width) / 2;
    int top = kGap + static_cast<int>(index / columns) * (tile + kGap) + (tile - height) / 2;
    for (int y = 0; y < height; ++y) {
      std::copy_n(scaled.at(0, y), width * 3, sheet.at(left, top + y));
    }
  }
  return sheet;
}

void write_contact_sheet(const std::filesystem::path& folder, const std::filesystem::path& output,
                         int columns, int tile, int limit) {
  std::vector<std::filesystem::path> images;
  if (std::filesystem::exists(folder / "manifest.jsonl")) {
    for (const auto& row : read_manifest(folder).rows) {
      images.push_back(row.file);
    }
  } else if (std::filesystem::is_directory(folder)) {
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      std::string extension = entry.path().extension().string();
      if (entry.is_regular_file() && (extension == ".png" || extension == ".jpg" || extension == ".jpeg")) {
        images.push_back(entry.path());
      }
    }
    std::sort(images.begin(), images.end());
  }
  if (images.empty()) {
    fail(ErrorKind::kNotFound, "no images in '{}'; pass a scene set folder or a folder of PNG/JPEG files",
         folder.string());
  }
  if (limit > 0 && static_cast<int>(images.size()) > limit) {
    images.resize(limit);
  }
  image::write_png(output, make_contact_sheet(images, columns, tile));
}

}  // namespace clipscope::scenes
