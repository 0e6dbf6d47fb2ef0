// Class-token attention per size role (experiment "attention"). For a ViT image tower it measures
// the share of the class token's head-averaged patch attention inside the largest object and inside
// the others, and that share divided by the object's area share. Objects come from COCO annotations
// or from the label masks and large slot of rendered scenes. attention_share.h sums attention
// inside one mask, and attention_heatmap.h draws the overlay figures.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "clipscope/experiments/attention_share.h"
#include "clipscope/experiments/coco_objects.h"
#include "clipscope/experiments/results.h"
#include "clipscope/image/preprocess.h"
#include "clipscope/model/encoder.h"
#include "clipscope/scenes/manifest.h"

namespace clipscope::experiments {

/// A ViT image tower seen through its class-token attention.
class AttentionModel {
 public:
  virtual ~AttentionModel() = default;

  /// Returns the model name used in messages.
  virtual std::string name() const = 0;

  /// Returns the patches per side of the input (image_size / patch_size).
  virtual int64_t grid() const = 0;

  /// Returns the number of transformer blocks.
  virtual int64_t blocks() const = 0;

  /// Returns the preprocessing that maps image files to the model input.
  virtual const image::PreprocessConfig& preprocess() const = 0;

  /// Returns the class token's head-averaged attention in block `block` for each image file:
  /// float32 [N, 1 + grid * grid], column 0 the class token, then patches row-major.
  virtual torch::Tensor class_token_attention(const std::vector<std::filesystem::path>& images, int64_t block) = 0;
};

/// Returns the attention view of `encoder`, which it refers to. Throws Error(kUnsupported) naming
/// the model unless it is a model::CLIPEncoder with a ViT image tower.
std::unique_ptr<AttentionModel> make_attention_model(model::Encoder& encoder);

/// An image with its object masks in the model's input frame.
struct AttentionImage {
  std::string id;                    ///< COCO image id or scene file name, for CSV rows and figure names.
  std::filesystem::path file;
  std::vector<std::string> objects;  ///< Object names.
  std::vector<ObjectMask> masks;     ///< One per object, image_size x image_size.
  size_t large = 0;                  ///< Index of the large object.
};

/// Maps a mask in the image's own frame into the model's input frame: the model's resize and
/// centre crop (or padding) with nearest-neighbour sampling. Returns an image_size square mask.
/// Throws Error(kInvalidArgument) for a mask whose pixel count is not width * height.
ObjectMask mask_to_model_frame(const ObjectMask& mask, const image::PreprocessConfig& preprocess);

/// Returns the COCO images of `images` with at least two categories that stay visible (non-empty
/// mask) in the model's input frame, each category's mask from category_mask. The large object is
/// the one with the largest visible area. Throws as category_mask.
std::vector<AttentionImage> coco_attention_images(const io::CocoDataset& dataset, const std::vector<ImageObjects>& images,
                                                  AreaSource area_source, const image::PreprocessConfig& preprocess);

/// Returns the scene images of `manifest` with their label masks (pixel value slot + 1) mapped into
/// the model's input frame. The large object is the manifest's large slot. Hidden small objects are
/// dropped, and images whose large object is hidden are skipped. Throws Error(kInvalidArgument)
/// naming the manifest if a row has no label mask or no large slot (render with --masks), and
/// decode_image()'s Error for an unreadable mask.
std::vector<AttentionImage> scene_attention_images(const scenes::Manifest& manifest,
                                                   const image::PreprocessConfig& preprocess);

/// Attention and area of the two size roles in one image.
struct RoleShares {
  double large_share = 0;  ///< Attention share inside the large object.
  double large_area = 0;   ///< Area share (pixels / all pixels) of the large object.
  double small_share = 0;  ///< Mean attention share per other object.
  double small_area = 0;   ///< Mean area share per other object.
  double large_ratio = 0;  ///< large_share / large_area.
  double small_ratio = 0;  ///< Summed attention share of the others / their summed area share.
};

/// Computes the role shares of one image from per-object attention and area shares. Throws
/// Error(kInvalidArgument) if the lists differ in length, have fewer than two objects, `large` is
/// out of range or an area share is not positive.
RoleShares role_shares(const std::vector<double>& attention_shares, const std::vector<double>& area_shares,
                       size_t large);

/// Settings of the attention experiment.
struct AttentionOptions {
  std::optional<int64_t> block;  ///< A block (0-based) reported besides the last one.
  int64_t figures = 4;           ///< Heat-map overlays of the first images, from the last block.
};

/// One heat-map overlay.
struct AttentionFigure {
  std::string file;     ///< File name, "attention_<id>.png".
  std::string caption;  ///< One line naming the image, the large object and its shares.
  std::string png;      ///< PNG bytes.
};

/// Runs the attention experiment. The variants are "last_block" and, if options.block names
/// another block, "block_<b>". Each gets attention_share, area_share and attention_area_ratio
/// records per size role ("large", "small"). The chance of attention_share is the mean area share,
/// which uniform attention gives, and the chance of the ratio is 1. Returns the overlays of the
/// first options.figures images. Throws Error(kInvalidArgument) for an out-of-range block, negative
/// figures or an empty `images`.
std::vector<AttentionFigure> run_attention(AttentionModel& model, const std::vector<AttentionImage>& images,
                                           const AttentionOptions& options, MetricCollector& collector,
                                           CsvTable& samples);

}  // namespace clipscope::experiments
