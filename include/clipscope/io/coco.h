// Reading COCO-format annotation files (images, instances, captions, categories) and decoding
// instance segmentations (polygons, uncompressed RLE, compressed RLE strings) into binary masks.
// The caption analyses built on this live in experiments/mentions.h and experiments/order_vs_size.h.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace clipscope::io {

/// One entry of the "images" array.
struct CocoImage {
  int64_t id = 0;
  std::string file_name;
  int width = 0;
  int height = 0;
};

/// One entry of the "categories" array.
struct CocoCategory {
  int64_t id = 0;
  std::string name;
  std::string supercategory;
};

/// A run-length encoded mask in COCO's layout: runs alternate 0 and 1 starting with 0, over
/// the pixels in column-major order (down each column, columns left to right).
struct CocoRle {
  int height = 0;
  int width = 0;
  std::vector<uint32_t> counts;  ///< Run lengths; they sum to height * width.
};

/// The "segmentation" field of an instance annotation.
struct CocoSegmentation {
  enum class Kind {
    kNone,      ///< No segmentation (detector output without masks).
    kPolygons,  ///< One or more polygons [x1, y1, x2, y2, ...] in pixel coordinates.
    kRle,       ///< A run-length encoding, already decoded from the string form if it was one.
  };
  Kind kind = Kind::kNone;
  std::vector<std::vector<double>> polygons;  ///< For kPolygons.
  CocoRle rle;                                ///< For kRle.
};

/// One entry of the "annotations" array of an instances file.
struct CocoAnnotation {
  int64_t id = 0;
  int64_t image_id = 0;
  int64_t category_id = 0;
  std::array<double, 4> bbox = {0, 0, 0, 0};  ///< [x, y, width, height] in pixels.
  double area = 0;                            ///< The file's "area" field, in pixels.
  bool iscrowd = false;
  CocoSegmentation segmentation;
};

/// One entry of the "annotations" array of a captions file.
struct CocoCaption {
  int64_t id = 0;
  int64_t image_id = 0;
  std::string caption;
};

/// The contents of an instances file, optionally joined with a captions file, with id lookups.
struct CocoDataset {
  std::vector<CocoImage> images;
  std::vector<CocoCategory> categories;
  std::vector<CocoAnnotation> annotations;
  std::vector<CocoCaption> captions;
  std::filesystem::path images_dir;  ///< Folder the images' file_name values are relative to; may be empty.

  /// Returns the image with this id. Throws Error(kNotFound) if there is none.
  const CocoImage& image(int64_t id) const;

  /// Returns the category with this id. Throws Error(kNotFound) if there is none.
  const CocoCategory& category(int64_t id) const;

  /// Returns the indices into `annotations` of the instances of one image, in file order.
  const std::vector<size_t>& annotations_of(int64_t image_id) const;

  /// Rebuilds the id lookups; call after changing the vectors by hand.
  void build_index();

 private:
  std::unordered_map<int64_t, size_t> image_index_;
  std::unordered_map<int64_t, size_t> category_index_;
  std::unordered_map<int64_t, std::vector<size_t>> annotations_by_image_;
};

/// Reads a COCO instances file ("images", "annotations", "categories"). Every annotation must
/// refer to an existing image and category, and every RLE must cover exactly its image.
/// Throws Error(kNotFound) if the file is missing and Error(kInvalidArgument) for malformed content,
/// with a one-line message naming the file and the record, e.g. "instances.json: annotation 1234:
/// segmentation is neither a polygon list nor RLE".
CocoDataset read_coco_instances(const std::filesystem::path& path);

/// Reads a COCO captions file and appends its captions to `dataset`. Every caption must refer to
/// an image of `dataset`. Throws as read_coco_instances().
void read_coco_captions(const std::filesystem::path& path, CocoDataset& dataset);

/// Reads a COCO folder: the single instances_*.json and captions_*.json found in DIR/annotations
/// (or in DIR itself). Images are looked up in DIR/<split> where the instances file is named
/// instances_<split>.json, or in DIR/images. `require_captions` makes a missing captions file an error.
/// Throws Error(kNotFound) naming the folder if no instances file is found.
CocoDataset read_coco_folder(const std::filesystem::path& folder, bool require_captions);

/// Decodes an annotation's segmentation into a mask of height * width bytes, row-major
/// (index y * width + x), 1 inside the object and 0 outside. Polygons are rasterised with the
/// same rule as pycocotools' rleFrPoly and several polygons are united, so the mask equals
/// pycocotools' annToMask. Throws Error(kInvalidArgument) naming the annotation if the
/// segmentation is kNone or an RLE of another size.
std::vector<uint8_t> decode_mask(const CocoAnnotation& annotation, int width, int height);

/// Returns the number of pixels set in decode_mask(annotation, width, height).
int64_t mask_area(const CocoAnnotation& annotation, int width, int height);

/// Rasterises one polygon [x1, y1, ...] to an RLE of the given size with pycocotools' rule.
/// Throws Error(kInvalidArgument) if the coordinate count is odd or below 6.
CocoRle rle_from_polygon(const std::vector<double>& polygon, int height, int width);

/// Decodes COCO's compressed RLE string (6 bits per character, differences from the run two back).
/// Throws Error(kInvalidArgument) naming the offending character position if the string is malformed.
std::vector<uint32_t> decode_rle_string(std::string_view text);

}  // namespace clipscope::io
