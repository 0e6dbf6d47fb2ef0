// Object retrieval on real COCO data. coco-tor: human captions that mention at least two annotated
// categories against the embedded category names, by mention position. coco-i2tor and coco-ior:
// images with at least two annotated categories against the names or against single-object crops,
// by size rank (largest, 2nd largest, ...). Metric definitions are in docs/real-data.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/experiments/coco_objects.h"
#include "clipscope/experiments/order_vs_size.h"
#include "clipscope/experiments/results.h"
#include "clipscope/model/encoder.h"

namespace clipscope::experiments {

/// Settings shared by the real-data retrieval experiments.
struct CocoRetrievalOptions {
  /// Largest objects-per-sample count n with its own records. Samples with more objects count only
  /// in the pooled records, which cover positions and ranks 0 .. max_objects - 1. At least 2.
  int64_t max_objects = 4;
  std::string text_template = "a photo of a {}";  ///< coco-i2tor text per category name ("{}").
};

/// Returns the captions with at least two annotated mentioned categories, as collect_caption_objects
/// finds them.
std::vector<CaptionObjects> multi_object_captions(const std::vector<CaptionObjects>& captions);

/// Returns the images with at least two annotated categories.
std::vector<ImageObjects> multi_object_images(const std::vector<ImageObjects>& images);

/// Runs coco-tor: embeds each caption and each of `categories` (the bare names), ranks the names
/// per caption and adds, per n and pooled, the top-1 and most-similar rates per mention position
/// plus the retrieval metrics of docs/results-schema.md. `captions` must have >= 2 objects each.
/// Throws Error(kUnsupported) without a text tower and Error(kInvalidArgument) if `captions` is empty.
void run_coco_tor(model::Encoder& encoder, const std::vector<CaptionObjects>& captions,
                  const std::vector<std::string>& categories, const CocoRetrievalOptions& options,
                  MetricCollector& collector, CsvTable& samples);

/// Runs coco-i2tor: each image against the text embedding of every category name (through
/// options.text_template), by size rank. `images` must have >= 2 objects each.
/// Throws Error(kUnsupported) unless the encoder has both towers, Error(kInvalidArgument) for a
/// template without "{}" or an empty `images`.
void run_coco_i2tor(model::Encoder& encoder, const std::vector<ImageObjects>& images,
                    const std::vector<std::string>& categories, const CocoRetrievalOptions& options,
                    MetricCollector& collector, CsvTable& samples);

/// Runs coco-ior: each image against one single-object reference crop per category
/// (reference_crop of the instance reference_for_image picks, so an image is never compared with
/// a crop of itself). Crops are written as PNG files to a temporary folder that is removed
/// afterwards. Images whose present categories lack a reference from another image are skipped.
/// Throws Error(kUnsupported) without an image tower and Error(kInvalidArgument) if no image is left.
void run_coco_ior(model::Encoder& encoder, const io::CocoDataset& dataset, const std::vector<ImageObjects>& images,
                  AreaSource area_source, const CocoRetrievalOptions& options, MetricCollector& collector,
                  CsvTable& samples);

}  // namespace clipscope::experiments
