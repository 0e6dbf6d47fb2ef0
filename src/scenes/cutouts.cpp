#include "clipscope/scenes/cutouts.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "clipscope/error.h"
#include "clipscope/image/convert.h"
#include "clipscope/image/decode.h"
#include "clipscope/image/resample.h"
#include "clipscope/io/coco.h"
#include "clipscope/log.h"
#include "clipscope/scenes/manifest.h"

namespace clipscope::scenes {

namespace {

constexpr double kShadowStrength = 0.38;

bool touches_border(const io::CocoAnnotation& annotation, const io::CocoImage& image) {
  const auto& box = annotation.bbox;
  return box[0] <= 1 || box[1] <= 1 || box[0] + box[2] >= image.width - 1 ||
         box[1] + box[3] >= image.height - 1;
}

Cutout cut_out(const io::CocoDataset& dataset, const io::CocoAnnotation& annotation,
               const std::string& name) {
  const io::CocoImage& info = dataset.image(annotation.image_id);
  auto path = dataset.images_dir / info.file_name;
  image::Image photo = image::convert(image::decode_image(path), image::PixelMode::kRGB);
  if (photo.width != info.width || photo.height != info.height) {
    fail(ErrorKind::kInvalidArgument,
         "image '{}' is {}x{} but the annotations say {}x{}; use the images the instances file "
         "was made for",
         path.string(), photo.width, photo.height, info.width, info.height);
  }
  std::vector<uint8_t> mask = io::decode_mask(annotation, info.width, info.height);

  int x0 = info.width, y0 = info.height, x1 = 0, y1 = 0;
  int64_t inside = 0;
  for (int y = 0; y < info.height; ++y) {
    for (int x = 0; x < info.width; ++x) {
      if (mask[static_cast<size_t>(y) * info.width + x]) {
        x0 = std::min(x0, x), y0 = std::min(y0, y);
        x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
        ++inside;
      }
    }
  }
  Cutout cutout;
  cutout.name = name;
  cutout.annotation_id = annotation.id;
  cutout.source_file = info.file_name;
  cutout.rgba = image::Image::blank(x1 - x0, y1 - y0, image::PixelMode::kRGBA);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      uint8_t* out = cutout.rgba.at(x - x0, y - y0);
      const uint8_t* in = photo.at(x, y);
      out[0] = in[0], out[1] = in[1], out[2] = in[2];
      out[3] = mask[static_cast<size_t>(y) * info.width + x] ? 255 : 0;
    }
  }
  cutout.fill = static_cast<double>(inside) / (static_cast<double>(x1 - x0) * (y1 - y0));
  return cutout;
}

}  // namespace

const Cutout& CutoutLibrary::find(const std::string& name) const {
  for (const auto& cutout : cutouts) {
    if (cutout.name == name) {
      return cutout;
    }
  }
  std::vector<std::string> names;
  for (const auto& cutout : cutouts) {
    names.push_back(cutout.name);
  }
  fail(ErrorKind::kNotFound, "no usable COCO instance of '{}'; use one of: {}", name,
       fmt::join(names, ", "));
}

CutoutLibrary load_cutouts(const std::filesystem::path& coco_folder, const CutoutOptions& options) {
  io::CocoDataset dataset = io::read_coco_folder(coco_folder, false);
  for (const auto& name : options.names) {
    validate_object_name(name);
  }

  // choose the largest eligible instance of each category
  CutoutLibrary library;
  std::map<std::string, std::pair<int64_t, size_t>> best;  // name -> (area, annotation index)
  int with_mask = 0;
  for (size_t i = 0; i < dataset.annotations.size(); ++i) {
    const auto& annotation = dataset.annotations[i];
    if (annotation.segmentation.kind == io::CocoSegmentation::Kind::kNone) {
      ++library.skipped_no_mask;
      continue;
    }
    ++with_mask;
    if (annotation.iscrowd) {
      ++library.skipped_crowd;
      continue;
    }
    const auto& info = dataset.image(annotation.image_id);
    if (touches_border(annotation, info)) {
      ++library.skipped_truncated;
      continue;
    }
    int64_t area = io::mask_area(annotation, info.width, info.height);
    if (area < options.min_area) {
      ++library.skipped_tiny;
      continue;
    }
    const std::string& name = dataset.category(annotation.category_id).name;
    if (name.find('_') != std::string::npos) {
      log::warn("COCO category '{}' contains '_' and cannot appear in scene file names; skipped", name);
      continue;
    }
    auto found = best.find(name);
    if (found == best.end() || area > found->second.first) {
      best[name] = {area, i};
    }
  }
  if (with_mask == 0) {
    fail(ErrorKind::kInvalidArgument,
         "the COCO instances in '{}' have no segmentation masks; use an instances file with polygon "
         "or RLE segmentations",
         coco_folder.string());
  }

  std::vector<std::string> wanted = options.names;
  if (wanted.empty()) {
    for (const auto& [name, choice] : best) {
      wanted.push_back(name);
    }
  }
  for (const auto& name : wanted) {
    if (best.find(name) == best.end()) {
      std::vector<std::string> available;
      for (const auto& [known, choice] : best) {
        available.push_back(known);
      }
      fail(ErrorKind::kNotFound,
           "no usable instance of '{}' in '{}' (crowd, truncated and tiny instances are skipped); "
           "use one of: {}",
           name, coco_folder.string(), fmt::join(available, ", "));
    }
  }
  for (const auto& name : wanted) {
    library.cutouts.push_back(cut_out(dataset, dataset.annotations[best[name].second], name));
  }
  log::info("cut out {} objects from '{}'; skipped {} crowd, {} truncated, {} tiny and {} "
            "unmasked instances",
            library.cutouts.size(), coco_folder.string(), library.skipped_crowd,
            library.skipped_truncated, library.skipped_tiny, library.skipped_no_mask);
  return library;
}

Footprint cutout_footprint(const Cutout& cutout) {
  return {static_cast<double>(cutout.rgba.width) / cutout.rgba.height, cutout.fill};
}

RenderedScene composite_scene(const std::vector<CutoutPlacement>& objects, const RenderOptions& options) {
  RenderedScene scene = render_scene({}, options);
  int width = options.width, height = options.height;

  // pixel rectangles and drawing order: farther (higher) boxes first
  struct Placed {
    int slot;
    int x0, y0, w, h;
  };
  std::vector<Placed> placed;
  for (size_t i = 0; i < objects.size(); ++i) {
    const PlannedBox& box = objects[i].box;
    int w = std::max(1, static_cast<int>(std::lround(box.width * width)));
    int h = std::max(1, static_cast<int>(std::lround(box.height * height)));
    int x0 = static_cast<int>(std::lround(box.center_x * width - w / 2.0));
    int y0 = static_cast<int>(std::lround(box.center_y * height - h / 2.0));
    placed.push_back({static_cast<int>(i), x0, y0, w, h});
  }
  std::stable_sort(placed.begin(), placed.end(),
                   [](const Placed& a, const Placed& b) { return a.y0 + a.h < b.y0 + b.h; });

  // contact shadows: a soft dark ellipse under the bottom edge of each box
  for (const auto& p : placed) {
    double cx = p.x0 + p.w / 2.0, cy = p.y0 + p.h * 0.97;
    double rx = p.w * 0.5, ry = std::max(2.0, p.h * 0.09);
    for (int y = std::max(0, static_cast<int>(cy - 3 * ry)); y < std::min(height, static_cast<int>(cy + 3 * ry) + 1); ++y) {
      for (int x = std::max(0, static_cast<int>(cx - 1.5 * rx)); x < std::min(width, static_cast<int>(cx + 1.5 * rx) + 1); ++x) {
        double dx = (x + 0.5 - cx) / rx, dy = (y + 0.5 - cy) / ry;
        double darken = 1 - kShadowStrength * std::exp(-2.5 * (dx * dx + dy * dy));
        uint8_t* pixel = scene.rgb.at(x, y);
        for (int c = 0; c < 3; ++c) {
          pixel[c] = static_cast<uint8_t>(std::lround(pixel[c] * darken));
        }
      }
    }
  }

  for (const auto& p : placed) {
    image::Image scaled = image::resize(objects[p.slot].cutout->rgba, p.w, p.h, image::Filter::kBicubic);
    for (int y = 0; y < p.h; ++y) {
      int ty = p.y0 + y;
      if (ty < 0 || ty >= height) {
        continue;
      }
      for (int x = 0; x < p.w; ++x) {
        int tx = p.x0 + x;
        if (tx < 0 || tx >= width) {
          continue;
        }
        const uint8_t* source = scaled.at(x, y);
        uint8_t* target = scene.rgb.at(tx, ty);
        int alpha = source[3];
        for (int c = 0; c < 3; ++c) {
          target[c] = static_cast<uint8_t>((source[c] * alpha + target[c] * (255 - alpha) + 127) / 255);
        }
        if (alpha >= 128) {
          *scene.labels.at(tx, ty) = static_cast<uint8_t>(p.slot + 1);
        }
      }
    }
  }
  return scene;
}

}  // namespace clipscope::scenes
