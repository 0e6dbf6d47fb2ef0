// The objects of real COCO images for the real-data experiments: per image, each annotated
// category with the union of its instance masks (or boxes) and its area, ranked largest first;
// and the single-object reference crops of the real-data IOR. coco_experiments.h runs the
// experiments on them; io/coco.h reads the files.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clipscope/experiments/order_vs_size.h"
#include "clipscope/image/image.h"
#include "clipscope/io/coco.h"

namespace clipscope::experiments {

/// One category present in an image: all of its instances taken together.
struct ImageObject {
  std::string category;
  int64_t category_id = 0;
  double area = 0;  ///< Pixels of the union of the instance masks (or boxes), in the image's own frame.
};

/// The annotated categories of one image, largest first.
struct ImageObjects {
  int64_t image_id = 0;
  std::filesystem::path file;  ///< Image path: the dataset's images_dir joined with the file name.
  int width = 0;
  int height = 0;
  std::vector<ImageObject> objects;  ///< Sorted by descending area; equal areas by ascending category id.
};

/// Returns the mask of one category in one image, height * width bytes, row-major, 1 inside:
/// the union of the instance segmentations for AreaSource::kMask and of the instance boxes for
/// kBox. An instance without segmentation (detector output) contributes its box in both modes.
/// Throws Error(kInvalidArgument) naming the annotation if a segmentation cannot be decoded.
std::vector<uint8_t> category_mask(const io::CocoDataset& dataset, const io::CocoImage& image, int64_t category_id,
                                   AreaSource area_source);

/// Returns every image of `dataset` that has at least one annotation, in file order, with its
/// categories ranked by union area (see category_mask). Throws as category_mask.
std::vector<ImageObjects> collect_image_objects(const io::CocoDataset& dataset, AreaSource area_source);

/// Returns the image file of `image`: dataset.images_dir / file_name (file_name alone if there is
/// no images_dir).
std::filesystem::path coco_image_path(const io::CocoDataset& dataset, const io::CocoImage& image);

/// Where the IOR reference of each category comes from: its largest instance in the set, and its
/// largest instance in any other image, so that no image is compared with a crop of itself.
struct ReferenceInstances {
  int64_t primary = -1;          ///< Annotation id of the largest non-crowd instance with a non-empty box.
  int64_t primary_image = -1;    ///< Image id of the primary instance.
  int64_t secondary = -1;        ///< Largest such instance in an image other than the primary's; -1 if none.
  int64_t secondary_image = -1;  ///< Image id of the secondary instance; -1 if none.
};

/// Chooses the reference instances of every category that has a non-crowd instance with a
/// non-empty box, keyed by category id. Sizes follow `area_source` (instance mask or box pixels).
std::map<int64_t, ReferenceInstances> choose_reference_instances(const io::CocoDataset& dataset,
                                                                 AreaSource area_source);

/// Returns the annotation id of the reference of `category_id` to compare with image `image_id`:
/// the primary instance unless it lies in that image, else the secondary one; nullopt if the
/// category has no instance outside the image.
std::optional<int64_t> reference_for_image(const std::map<int64_t, ReferenceInstances>& references,
                                           int64_t category_id, int64_t image_id);

/// RGB value that fills the pixels of a reference crop outside the object: the CLIP mean colour
/// (0.481, 0.458, 0.408) times 255, rounded, which normalises to about zero.
inline constexpr std::array<uint8_t, 3> kReferenceFill = {123, 117, 104};

/// Cuts the single-object reference image of an instance out of its decoded image (any mode): the
/// instance box rounded outwards and clipped to the image, pixels outside the instance mask set
/// to kReferenceFill, then padded with kReferenceFill to a centred square so that the model's
/// centre crop keeps the whole object. Returns an RGB image. Throws Error(kInvalidArgument) naming
/// the annotation if its box lies outside the image or the image size differs from the record.
image::Image reference_crop(const io::CocoAnnotation& annotation, const io::CocoImage& record,
                            const image::Image& decoded);

}  // namespace clipscope::experiments
