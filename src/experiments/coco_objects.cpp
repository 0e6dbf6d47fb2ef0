#include "clipscope/experiments/coco_objects.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "clipscope/error.h"
#include "clipscope/image/convert.h"

namespace clipscope::experiments {
namespace {

// Pixel rectangle [x0, x1) x [y0, y1).
struct PixelBox {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};

// The annotation box rounded outwards and clipped to the image.
PixelBox pixel_box(const io::CocoAnnotation& annotation, int width, int height) {
  const auto& box = annotation.bbox;
  PixelBox pixels;
  pixels.x0 = std::clamp(static_cast<int>(std::floor(box[0])), 0, width);
  pixels.y0 = std::clamp(static_cast<int>(std::floor(box[1])), 0, height);
  pixels.x1 = std::clamp(static_cast<int>(std::ceil(box[0] + box[2])), 0, width);
  pixels.y1 = std::clamp(static_cast<int>(std::ceil(box[1] + box[3])), 0, height);
  return pixels;
}

void fill_box(std::vector<uint8_t>& mask, int width, const PixelBox& box) {
  for (int y = box.y0; y < box.y1; ++y) {
    std::fill(mask.begin() + static_cast<ptrdiff_t>(y) * width + box.x0,
              mask.begin() + static_cast<ptrdiff_t>(y) * width + box.x1, uint8_t{1});
  }
}

bool has_segmentation(const io::CocoAnnotation& annotation) {
  return annotation.segmentation.kind != io::CocoSegmentation::Kind::kNone;
}

// Size of one instance for choosing references.
double instance_size(const io::CocoAnnotation& annotation, const io::CocoImage& image, AreaSource area_source) {
  if (area_source == AreaSource::kBox || !has_segmentation(annotation)) return annotation.bbox[2] * annotation.bbox[3];
  return static_cast<double>(io::mask_area(annotation, image.width, image.height));
}

}  // namespace

std::vector<uint8_t> category_mask(const io::CocoDataset& dataset, const io::CocoImage& image, int64_t category_id,
                                   AreaSource area_source) {
  std::vector<uint8_t> mask(static_cast<size_t>(image.width) * static_cast<size_t>(image.height), 0);
  for (size_t index : dataset.annotations_of(image.id)) {
    const io::CocoAnnotation& annotation = dataset.annotations[index];
    if (annotation.category_id != category_id) continue;
    if (area_source == AreaSource::kBox || !has_segmentation(annotation)) {
      fill_box(mask, image.width, pixel_box(annotation, image.width, image.height));
      continue;
    }
    const std::vector<uint8_t> instance = io::decode_mask(annotation, image.width, image.height);
    for (size_t i = 0; i < mask.size(); ++i) mask[i] |= instance[i];
  }
  return mask;
}

std::filesystem::path coco_image_path(const io::CocoDataset& dataset, const io::CocoImage& image) {
  return dataset.images_dir.empty() ? std::filesystem::path(image.file_name) : dataset.images_dir / image.file_name;
}

std::vector<ImageObjects> collect_image_objects(const io::CocoDataset& dataset, AreaSource area_source) {
  std::vector<ImageObjects> result;
  for (const io::CocoImage& image : dataset.images) {
    std::set<int64_t> category_ids;
    for (size_t index : dataset.annotations_of(image.id)) category_ids.insert(dataset.annotations[index].category_id);
    if (category_ids.empty()) continue;

    ImageObjects entry;
    entry.image_id = image.id;
    entry.file = coco_image_path(dataset, image);
    entry.width = image.width;
    entry.height = image.height;
    for (int64_t category_id : category_ids) {
      const std::vector<uint8_t> mask = category_mask(dataset, image, category_id, area_source);
      const auto area = static_cast<double>(std::count(mask.begin(), mask.end(), uint8_t{1}));
      entry.objects.push_back({dataset.category(category_id).name, category_id, area});
    }
    // category_ids is ascending, so a stable sort keeps equal areas in category id order
    std::stable_sort(entry.objects.begin(), entry.objects.end(),
                     [](const ImageObject& a, const ImageObject& b) { return a.area > b.area; });
    result.push_back(std::move(entry));
  }
  return result;
}

std::map<int64_t, ReferenceInstances> choose_reference_instances(const io::CocoDataset& dataset,
                                                                 AreaSource area_source) {
  struct Candidate {
    int64_t annotation_id = -1;
    int64_t image_id = -1;
    double size = -1;
  };
  std::vector<std::pair<int64_t, Candidate>> candidates;  // (category id, instance)
  for (const io::CocoAnnotation& annotation : dataset.annotations) {
    const io::CocoImage& image = dataset.image(annotation.image_id);
    if (annotation.iscrowd || pixel_box(annotation, image.width, image.height).empty()) continue;
    candidates.push_back({annotation.category_id,
                          {annotation.id, annotation.image_id, instance_size(annotation, image, area_source)}});
  }

  std::map<int64_t, Candidate> primary;
  for (const auto& [category_id, candidate] : candidates) {
    Candidate& best = primary[category_id];
    if (candidate.size > best.size) best = candidate;
  }
  std::map<int64_t, Candidate> secondary;
  for (const auto& [category_id, candidate] : candidates) {
    if (candidate.image_id == primary[category_id].image_id) continue;
    Candidate& best = secondary[category_id];
    if (candidate.size > best.size) best = candidate;
  }

  std::map<int64_t, ReferenceInstances> references;
  for (const auto& [category_id, best] : primary) {
    ReferenceInstances& entry = references[category_id];
    entry.primary = best.annotation_id;
    entry.primary_image = best.image_id;
    auto other = secondary.find(category_id);
    if (other != secondary.end()) {
      entry.secondary = other->second.annotation_id;
      entry.secondary_image = other->second.image_id;
    }
  }
  return references;
}

std::optional<int64_t> reference_for_image(const std::map<int64_t, ReferenceInstances>& references,
                                           int64_t category_id, int64_t image_id) {
  auto found = references.find(category_id);
  if (found == references.end()) return std::nullopt;
  if (found->second.primary_image != image_id) return found->second.primary;
  if (found->second.secondary >= 0) return found->second.secondary;
  return std::nullopt;
}

image::Image reference_crop(const io::CocoAnnotation& annotation, const io::CocoImage& record,
                            const image::Image& decoded) {
  if (decoded.width != record.width || decoded.height != record.height) {
    fail(ErrorKind::kInvalidArgument,
         "image \"{}\" is {}x{} pixels but its COCO record says {}x{}; fix the annotation file or the image",
         record.file_name, decoded.width, decoded.height, record.width, record.height);
  }
  const PixelBox box = pixel_box(annotation, record.width, record.height);
  if (box.empty()) {
    fail(ErrorKind::kInvalidArgument, "annotation {}: box [{}, {}, {}, {}] lies outside image \"{}\" ({}x{})",
         annotation.id, annotation.bbox[0], annotation.bbox[1], annotation.bbox[2], annotation.bbox[3],
         record.file_name, record.width, record.height);
  }
  const image::Image rgb = decoded.mode == image::PixelMode::kRGB ? decoded : image::convert(decoded, image::PixelMode::kRGB);
  std::vector<uint8_t> mask;
  if (has_segmentation(annotation)) mask = io::decode_mask(annotation, record.width, record.height);

  // centred square of side max(box width, box height), filled outside the object
  const int box_width = box.x1 - box.x0;
  const int box_height = box.y1 - box.y0;
  const int side = std::max(box_width, box_height);
  const int left = (side - box_width) / 2;
  const int top = (side - box_height) / 2;
  image::Image crop = image::Image::blank(side, side, image::PixelMode::kRGB);
  for (size_t i = 0; i < crop.pixels.size(); i += 3) std::copy(kReferenceFill.begin(), kReferenceFill.end(), crop.pixels.begin() + i);
  for (int y = box.y0; y < box.y1; ++y) {
    for (int x = box.x0; x < box.x1; ++x) {
      if (!mask.empty() && mask[static_cast<size_t>(y) * record.width + x] == 0) continue;
      std::copy_n(rgb.at(x, y), 3, crop.at(left + x - box.x0, top + y - box.y0));
    }
  }
  return crop;
}

}  // namespace clipscope::experiments
