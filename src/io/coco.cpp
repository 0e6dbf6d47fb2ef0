#include "clipscope/io/coco.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::io {

namespace {

using nlohmann::json;

// Polygon coordinates beyond this magnitude are rejected: pycocotools converts them to int after
// scaling by 5, and real annotations stay within a few pixels of the image.
constexpr double kMaxPolygonCoordinate = 1e6;

// pycocotools rasterises polygons on a grid 5 times finer than the pixel grid.
constexpr int kPolygonUpsampling = 5;

// Names the record being parsed so that every error reads "FILE: RECORD: problem".
struct RecordContext {
  std::string file;
  std::string record;

  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    throw Error(ErrorKind::kInvalidArgument,
                fmt::format("{}: {}: {}", file, record, fmt::format(format, std::forward<Args>(args)...)));
  }
};

const json& require_field(const json& object, const char* key, const RecordContext& context) {
  auto found = object.find(key);
  if (found == object.end()) context.fail("missing field \"{}\"", key);
  return *found;
}

int64_t require_integer(const json& object, const char* key, const RecordContext& context) {
  const json& value = require_field(object, key, context);
  if (value.is_number_integer()) return value.get<int64_t>();
  // Some exporters write ids as floats (1234.0); accept those when they are whole numbers.
  if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()) {
    return static_cast<int64_t>(value.get<double>());
  }
  context.fail("field \"{}\" must be an integer, got {}", key, value.dump());
}

double require_number(const json& object, const char* key, const RecordContext& context) {
  const json& value = require_field(object, key, context);
  if (!value.is_number()) context.fail("field \"{}\" must be a number, got {}", key, value.dump());
  return value.get<double>();
}

std::string require_string(const json& object, const char* key, const RecordContext& context) {
  const json& value = require_field(object, key, context);
  if (!value.is_string()) context.fail("field \"{}\" must be a string, got {}", key, value.dump());
  return value.get<std::string>();
}

const json& require_array(const json& root, const char* key, const RecordContext& context) {
  const json& value = require_field(root, key, context);
  if (!value.is_array()) context.fail("\"{}\" must be an array", key);
  return value;
}

json parse_json_file(const std::filesystem::path& path) {
  std::string text = read_file(path);
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    fail(ErrorKind::kInvalidArgument, "{}: not valid JSON; check that the file is a complete COCO annotation file",
         path.string());
  }
  if (!root.is_object()) {
    fail(ErrorKind::kInvalidArgument, "{}: the top level must be a JSON object with \"images\" and \"annotations\"",
         path.string());
  }
  return root;
}

CocoRle parse_rle(const json& segmentation, const RecordContext& context) {
  const json& size = require_field(segmentation, "size", context);
  if (!size.is_array() || size.size() != 2 || !size[0].is_number_integer() || !size[1].is_number_integer()) {
    context.fail("RLE \"size\" must be [height, width], got {}", size.dump());
  }
  CocoRle rle;
  rle.height = size[0].get<int>();
  rle.width = size[1].get<int>();
  if (rle.height <= 0 || rle.width <= 0) context.fail("RLE size {} must be positive", size.dump());

  const json& counts = require_field(segmentation, "counts", context);
  if (counts.is_string()) {
    try {
      rle.counts = decode_rle_string(counts.get<std::string>());
    } catch (const Error& error) {
      context.fail("malformed compressed RLE: {}", error.what());
    }
  } else if (counts.is_array()) {
    rle.counts.reserve(counts.size());
    for (const json& count : counts) {
      if (!count.is_number_integer() || count.get<int64_t>() < 0 || count.get<int64_t>() > UINT32_MAX) {
        context.fail("malformed RLE: counts must be non-negative integers, got {}", count.dump());
      }
      rle.counts.push_back(count.get<uint32_t>());
    }
  } else {
    context.fail("malformed RLE: \"counts\" must be a list of integers or a COCO RLE string");
  }

  uint64_t total = 0;
  for (uint32_t count : rle.counts) total += count;
  uint64_t pixels = static_cast<uint64_t>(rle.height) * static_cast<uint64_t>(rle.width);
  if (total != pixels) {
    context.fail("malformed RLE: counts sum to {} but size {}x{} has {} pixels", total, rle.height, rle.width, pixels);
  }
  return rle;
}

CocoSegmentation parse_segmentation(const json& value, const RecordContext& context) {
  CocoSegmentation segmentation;
  if (value.is_array()) {
    segmentation.kind = CocoSegmentation::Kind::kPolygons;
    for (const json& polygon : value) {
      if (!polygon.is_array()) context.fail("segmentation is neither a polygon list nor RLE");
      std::vector<double> coordinates;
      coordinates.reserve(polygon.size());
      for (const json& coordinate : polygon) {
        if (!coordinate.is_number()) context.fail("polygon coordinate {} is not a number", coordinate.dump());
        double number = coordinate.get<double>();
        if (!std::isfinite(number) || std::abs(number) > kMaxPolygonCoordinate) {
          context.fail("polygon coordinate {} is outside [-{}, {}]", number, kMaxPolygonCoordinate,
                       kMaxPolygonCoordinate);
        }
        coordinates.push_back(number);
      }
      if (coordinates.size() % 2 != 0 || coordinates.size() < 6) {
        context.fail("a polygon needs an even number of coordinates, at least 6 (3 points), got {}",
                     coordinates.size());
      }
      segmentation.polygons.push_back(std::move(coordinates));
    }
    if (segmentation.polygons.empty()) segmentation.kind = CocoSegmentation::Kind::kNone;
    return segmentation;
  }
  if (value.is_object() && value.contains("counts")) {
    segmentation.kind = CocoSegmentation::Kind::kRle;
    segmentation.rle = parse_rle(value, context);
    return segmentation;
  }
  context.fail("segmentation is neither a polygon list nor RLE");
}

std::string file_label(const std::filesystem::path& path) { return path.filename().string(); }

// Returns the bit positions (column-major pixel indices) where the mask toggles, in any order
// and with repeats, following pycocotools' rleFrPoly: the polygon is traced on a 5x finer grid
// and every crossing of a pixel-column centre contributes one toggle at the first pixel row
// whose centre lies below the boundary.
std::vector<int64_t> polygon_toggles(const std::vector<double>& polygon, int height, int width) {
  size_t corners = polygon.size() / 2;
  std::vector<int> xs(corners + 1), ys(corners + 1);
  for (size_t j = 0; j < corners; ++j) {
    // NOTE: truncation toward zero, as the C cast in pycocotools, also for negative coordinates.
    xs[j] = static_cast<int>(kPolygonUpsampling * polygon[2 * j] + 0.5);
    ys[j] = static_cast<int>(kPolygonUpsampling * polygon[2 * j + 1] + 0.5);
  }
  xs[corners] = xs[0];
  ys[corners] = ys[0];

  std::vector<int64_t> toggles;
  bool have_previous = false;
  int previous_u = 0, previous_v = 0;
  auto visit = [&](int u, int v) {
    if (have_previous && u != previous_u) {
      // the boundary crossed between fine columns u-1 and u (either direction)
      int column = u < previous_u ? u : u - 1;
      int row = std::min(v, previous_v);
      // fine column c is the centre of pixel column (c - 2) / 5 when c - 2 is a multiple of 5
      if (column >= 2 && (column - 2) % kPolygonUpsampling == 0) {
        int64_t x = (column - 2) / kPolygonUpsampling;
        if (x <= width - 1) {
          // first pixel row with centre at or below the boundary: ceil((row - 2) / 5), clamped
          int64_t shifted = static_cast<int64_t>(row) - 2;
          int64_t y = shifted >= 0 ? (shifted + kPolygonUpsampling - 1) / kPolygonUpsampling
                                   : -((-shifted) / kPolygonUpsampling);
          y = std::clamp<int64_t>(y, 0, height);
          toggles.push_back(x * height + y);
        }
      }
    }
    previous_u = u;
    previous_v = v;
    have_previous = true;
  };

  for (size_t j = 0; j < corners; ++j) {
    int x_start = xs[j], x_end = xs[j + 1], y_start = ys[j], y_end = ys[j + 1];
    int dx = std::abs(x_end - x_start), dy = std::abs(y_end - y_start);
    if (dx == 0 && dy == 0) {
      visit(x_start, y_start);
      continue;
    }

    // Step along the longer axis from the lower end, interpolating the other coordinate with
    // round-half-up, but visit the points in the edge's own direction.
    bool along_x = dx >= dy;
    bool reversed = along_x ? x_start > x_end : y_start > y_end;
    if (reversed) {
      std::swap(x_start, x_end);
      std::swap(y_start, y_end);
    }
    int steps = along_x ? dx : dy;
    double slope = along_x ? static_cast<double>(y_end - y_start) / dx : static_cast<double>(x_end - x_start) / dy;
    for (int d = 0; d <= steps; ++d) {
      int t = reversed ? steps - d : d;
      if (along_x) {
        visit(t + x_start, static_cast<int>(y_start + slope * t + 0.5));
      } else {
        visit(static_cast<int>(x_start + slope * t + 0.5), t + y_start);
      }
    }
  }
  return toggles;
}

// Sets the pixels of an RLE in a row-major mask (OR, so several segments can be united).
void paint_rle(const CocoRle& rle, std::vector<uint8_t>& mask) {
  int64_t position = 0;
  bool inside = false;
  for (uint32_t count : rle.counts) {
    if (inside) {
      for (int64_t index = position; index < position + count; ++index) {
        int64_t x = index / rle.height, y = index % rle.height;
        mask[y * rle.width + x] = 1;
      }
    }
    position += count;
    inside = !inside;
  }
}

}  // namespace

std::vector<uint32_t> decode_rle_string(std::string_view text) {
  std::vector<uint32_t> counts;
  size_t position = 0;
  while (position < text.size()) {
    int64_t value = 0;
    int chunk = 0;
    bool more = true;
    while (more) {
      if (position >= text.size()) {
        fail(ErrorKind::kInvalidArgument, "the string ends inside a number at character {}", position);
      }
      int code = static_cast<unsigned char>(text[position]) - 48;
      if (code < 0 || code > 63) {
        fail(ErrorKind::kInvalidArgument, "character {} ('{}') is outside the RLE alphabet '0'..'o'", position,
             text[position]);
      }
      if (chunk >= 12) fail(ErrorKind::kInvalidArgument, "number at character {} is too long", position);
      value |= static_cast<int64_t>(code & 0x1f) << (5 * chunk);
      more = (code & 0x20) != 0;
      ++position;
      ++chunk;
      if (!more && (code & 0x10)) value |= ~int64_t{0} << (5 * chunk);  // sign-extend
    }
    // counts after the third are stored as differences from the count two places back
    if (counts.size() > 2) value += counts[counts.size() - 2];
    if (value < 0 || value > UINT32_MAX) {
      fail(ErrorKind::kInvalidArgument, "run {} decodes to {}, outside 0..{}", counts.size(), value, UINT32_MAX);
    }
    counts.push_back(static_cast<uint32_t>(value));
  }
  return counts;
}

CocoRle rle_from_polygon(const std::vector<double>& polygon, int height, int width) {
  if (polygon.size() % 2 != 0 || polygon.size() < 6) {
    fail(ErrorKind::kInvalidArgument, "a polygon needs an even number of coordinates, at least 6, got {}",
         polygon.size());
  }
  std::vector<int64_t> toggles = polygon_toggles(polygon, height, width);
  std::sort(toggles.begin(), toggles.end());

  // Toggles at the same position cancel in pairs; the rest are run boundaries.
  int64_t pixels = static_cast<int64_t>(height) * width;
  CocoRle rle{height, width, {}};
  int64_t run_start = 0;
  for (size_t i = 0; i < toggles.size();) {
    size_t j = i;
    while (j < toggles.size() && toggles[j] == toggles[i]) ++j;
    if ((j - i) % 2 == 1 && toggles[i] < pixels) {
      rle.counts.push_back(static_cast<uint32_t>(toggles[i] - run_start));
      run_start = toggles[i];
    }
    i = j;
  }
  rle.counts.push_back(static_cast<uint32_t>(pixels - run_start));
  return rle;
}

std::vector<uint8_t> decode_mask(const CocoAnnotation& annotation, int width, int height) {
  if (width <= 0 || height <= 0) {
    fail(ErrorKind::kInvalidArgument, "annotation {}: image size {}x{} must be positive", annotation.id, width,
         height);
  }
  std::vector<uint8_t> mask(static_cast<size_t>(width) * height, 0);
  switch (annotation.segmentation.kind) {
    case CocoSegmentation::Kind::kNone:
      fail(ErrorKind::kInvalidArgument,
           "annotation {}: has no segmentation; use box areas (--area box) for annotations without masks",
           annotation.id);
    case CocoSegmentation::Kind::kPolygons:
      for (const auto& polygon : annotation.segmentation.polygons) {
        paint_rle(rle_from_polygon(polygon, height, width), mask);
      }
      break;
    case CocoSegmentation::Kind::kRle: {
      const CocoRle& rle = annotation.segmentation.rle;
      if (rle.height != height || rle.width != width) {
        fail(ErrorKind::kInvalidArgument, "annotation {}: RLE size {}x{} differs from the image size {}x{}",
             annotation.id, rle.height, rle.width, height, width);
      }
      paint_rle(rle, mask);
      break;
    }
  }
  return mask;
}

int64_t mask_area(const CocoAnnotation& annotation, int width, int height) {
  std::vector<uint8_t> mask = decode_mask(annotation, width, height);
  return std::count(mask.begin(), mask.end(), uint8_t{1});
}

const CocoImage& CocoDataset::image(int64_t id) const {
  auto found = image_index_.find(id);
  if (found == image_index_.end()) fail(ErrorKind::kNotFound, "image {} is not in the COCO dataset", id);
  return images[found->second];
}

const CocoCategory& CocoDataset::category(int64_t id) const {
  auto found = category_index_.find(id);
  if (found == category_index_.end()) fail(ErrorKind::kNotFound, "category {} is not in the COCO dataset", id);
  return categories[found->second];
}

const std::vector<size_t>& CocoDataset::annotations_of(int64_t image_id) const {
  static const std::vector<size_t> kEmpty;
  auto found = annotations_by_image_.find(image_id);
  return found == annotations_by_image_.end() ? kEmpty : found->second;
}

void CocoDataset::build_index() {
  image_index_.clear();
  category_index_.clear();
  annotations_by_image_.clear();
  for (size_t i = 0; i < images.size(); ++i) image_index_[images[i].id] = i;
  for (size_t i = 0; i < categories.size(); ++i) category_index_[categories[i].id] = i;
  for (size_t i = 0; i < annotations.size(); ++i) annotations_by_image_[annotations[i].image_id].push_back(i);
}

CocoDataset read_coco_instances(const std::filesystem::path& path) {
  json root = parse_json_file(path);
  std::string file = file_label(path);
  CocoDataset dataset;

  RecordContext top{file, "top level"};
  for (const json& entry : require_array(root, "images", top)) {
    RecordContext context{file, "image " + (entry.contains("id") ? entry["id"].dump() : std::string("without id"))};
    CocoImage image;
    image.id = require_integer(entry, "id", context);
    image.file_name = require_string(entry, "file_name", context);
    image.width = static_cast<int>(require_integer(entry, "width", context));
    image.height = static_cast<int>(require_integer(entry, "height", context));
    if (image.width <= 0 || image.height <= 0) {
      context.fail("width and height must be positive, got {}x{}", image.width, image.height);
    }
    dataset.images.push_back(std::move(image));
  }

  const json& categories = require_array(root, "categories", top);
  for (const json& entry : categories) {
    RecordContext context{file,
                          "category " + (entry.contains("id") ? entry["id"].dump() : std::string("without id"))};
    CocoCategory category;
    category.id = require_integer(entry, "id", context);
    category.name = require_string(entry, "name", context);
    if (entry.contains("supercategory") && entry["supercategory"].is_string()) {
      category.supercategory = entry["supercategory"].get<std::string>();
    }
    dataset.categories.push_back(std::move(category));
  }
  dataset.build_index();

  for (const json& entry : require_array(root, "annotations", top)) {
    RecordContext context{file,
                          "annotation " + (entry.contains("id") ? entry["id"].dump() : std::string("without id"))};
    CocoAnnotation annotation;
    annotation.id = require_integer(entry, "id", context);
    annotation.image_id = require_integer(entry, "image_id", context);
    annotation.category_id = require_integer(entry, "category_id", context);
    annotation.area = require_number(entry, "area", context);
    annotation.iscrowd = entry.contains("iscrowd") && entry["iscrowd"].is_number() && entry["iscrowd"].get<int>() != 0;

    const json& bbox = require_field(entry, "bbox", context);
    if (!bbox.is_array() || bbox.size() != 4) context.fail("\"bbox\" must be [x, y, width, height], got {}", bbox.dump());
    for (size_t k = 0; k < 4; ++k) {
      if (!bbox[k].is_number()) context.fail("\"bbox\" must hold numbers, got {}", bbox.dump());
      annotation.bbox[k] = bbox[k].get<double>();
    }

    try {
      dataset.image(annotation.image_id);
    } catch (const Error&) {
      context.fail("refers to image {}, which is not in \"images\"", annotation.image_id);
    }
    try {
      dataset.category(annotation.category_id);
    } catch (const Error&) {
      context.fail("refers to category {}, which is not in \"categories\"", annotation.category_id);
    }

    if (entry.contains("segmentation")) {
      annotation.segmentation = parse_segmentation(entry["segmentation"], context);
      if (annotation.segmentation.kind == CocoSegmentation::Kind::kRle) {
        const CocoImage& owner = dataset.image(annotation.image_id);
        const CocoRle& rle = annotation.segmentation.rle;
        if (rle.height != owner.height || rle.width != owner.width) {
          context.fail("RLE size [{}, {}] differs from image {} size [{}, {}] (height, width)", rle.height, rle.width,
                       owner.id, owner.height, owner.width);
        }
      }
    }
    dataset.annotations.push_back(std::move(annotation));
  }
  if (dataset.images.empty()) top.fail("\"images\" is empty");
  dataset.build_index();
  return dataset;
}

void read_coco_captions(const std::filesystem::path& path, CocoDataset& dataset) {
  json root = parse_json_file(path);
  std::string file = file_label(path);
  RecordContext top{file, "top level"};
  for (const json& entry : require_array(root, "annotations", top)) {
    RecordContext context{file, "caption " + (entry.contains("id") ? entry["id"].dump() : std::string("without id"))};
    CocoCaption caption;
    caption.id = require_integer(entry, "id", context);
    caption.image_id = require_integer(entry, "image_id", context);
    caption.caption = require_string(entry, "caption", context);
    try {
      dataset.image(caption.image_id);
    } catch (const Error&) {
      context.fail("refers to image {}, which is not in the instances file", caption.image_id);
    }
    dataset.captions.push_back(std::move(caption));
  }
}

namespace {

// Returns the files in `folder` named <prefix>*.json, sorted.
std::vector<std::filesystem::path> find_json(const std::filesystem::path& folder, const std::string& prefix) {
  std::vector<std::filesystem::path> found;
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) return found;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".json") found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::filesystem::path find_single(const std::filesystem::path& folder, const std::string& prefix, bool required) {
  std::vector<std::filesystem::path> found = find_json(folder / "annotations", prefix);
  if (found.empty()) found = find_json(folder, prefix);
  if (found.size() > 1) {
    fail(ErrorKind::kInvalidArgument, "{}: found {} files named {}*.json ({} and {}); keep one split per folder",
         folder.string(), found.size(), prefix, found[0].filename().string(), found[1].filename().string());
  }
  if (found.empty()) {
    if (required) {
      fail(ErrorKind::kNotFound, "{}: no {}*.json in the folder or its annotations/ subfolder; pass a COCO folder",
           folder.string(), prefix);
    }
    return {};
  }
  return found[0];
}

}  // namespace

CocoDataset read_coco_folder(const std::filesystem::path& folder, bool require_captions) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    fail(ErrorKind::kNotFound, "COCO folder '{}' does not exist; pass the folder holding annotations/",
         folder.string());
  }
  std::filesystem::path instances = find_single(folder, "instances_", true);
  CocoDataset dataset = read_coco_instances(instances);

  std::filesystem::path captions = find_single(folder, "captions_", require_captions);
  if (!captions.empty()) read_coco_captions(captions, dataset);

  // instances_train2017.json -> train2017/
  std::string split = instances.stem().string().substr(std::string("instances_").size());
  std::vector<std::filesystem::path> candidates = {folder / "images", folder};
  if (!split.empty()) candidates.insert(candidates.begin(), folder / split);
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_directory(candidate, error)) {
      dataset.images_dir = candidate;
      break;
    }
  }
  return dataset;
}

}  // namespace clipscope::io
