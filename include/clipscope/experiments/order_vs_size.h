// Caption position of the largest object in real captions. For each caption, the mentioned categories
// that are annotated in its image are ranked by area, and the caption position of the largest is
// counted per number of objects k, against the chance level 1/k, with bootstrap intervals.
// mentions.h finds the objects in the captions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/experiments/mentions.h"
#include "clipscope/io/coco.h"
#include "clipscope/stats/interval.h"

namespace clipscope::experiments {

/// Source of an object's size.
enum class AreaSource {
  kMask,  ///< Pixels of the decoded segmentation; the "area" field when there is none (detector output).
  kBox,   ///< Bounding-box width * height.
};

/// Parses "mask" or "box". Throws Error(kInvalidArgument) naming the value otherwise.
AreaSource parse_area_source(std::string_view text);

/// Returns "mask" or "box".
const char* area_source_name(AreaSource source);

/// A category mentioned in a caption and annotated in its image.
struct CaptionObject {
  std::string category;
  int64_t category_id = 0;
  int64_t annotation_id = 0;  ///< The category's largest instance in the image.
  double area = 0;            ///< Area of that instance, in pixels.
  size_t char_offset = 0;     ///< Offset of the category's first mention.
  size_t word_index = 0;      ///< Word index of the category's first mention.
};

/// The annotated objects of one caption, in the order of their first mention.
struct CaptionObjects {
  int64_t caption_id = 0;
  int64_t image_id = 0;
  std::string caption;
  std::vector<CaptionObject> objects;
};

/// Finds, for every caption of `dataset`, the distinct mentioned categories that have an instance
/// in the caption's image; per category the instance with the largest area counts. Mentions of
/// categories not annotated in the image are dropped. Throws Error if a mask cannot be decoded.
std::vector<CaptionObjects> collect_caption_objects(const io::CocoDataset& dataset, const MentionMatcher& matcher,
                                                    AreaSource area_source);

/// Returns the 0-based position of the largest object (first one on equal areas).
size_t largest_position(const CaptionObjects& caption);

/// Settings of order_vs_size().
struct OrderVsSizeOptions {
  int min_objects = 2;                 ///< Smallest k reported; at least 2.
  int max_objects = 8;                 ///< Largest k reported.
  AreaSource area_source = AreaSource::kMask;
  stats::BootstrapOptions bootstrap;  ///< Interval settings; 1000 resamples at 95% by default.
};

/// Counts for captions with exactly k annotated objects.
struct OrderVsSizeRow {
  int objects = 0;                        ///< k.
  int64_t captions = 0;                   ///< Captions with k objects.
  std::vector<int64_t> counts;            ///< counts[p]: captions whose largest object is at position p.
  std::vector<stats::Estimate> rates;     ///< rates[p]: counts[p] / captions with a bootstrap interval.
  double chance = 0;                      ///< 1 / k.
};

/// Result of order_vs_size().
struct OrderVsSizeResult {
  OrderVsSizeOptions options;
  int64_t captions_total = 0;  ///< Captions read.
  int64_t captions_used = 0;   ///< Captions with k in [min_objects, max_objects].
  std::vector<OrderVsSizeRow> rows;  ///< One per k from min_objects to max_objects, also when empty.
};

/// Counts, per k, at which caption position the largest object sits. Each rate's interval
/// resamples the k-object captions (a 0/1 outcome per caption) with the seeded bootstrap of
/// stats/interval.h. Throws Error(kInvalidArgument) for min_objects < 2 or max_objects < min_objects.
OrderVsSizeResult order_vs_size(const std::vector<CaptionObjects>& captions, const OrderVsSizeOptions& options);

/// Returns the result as JSON: settings, per-k rows and metric records in the results.json
/// layout (experiment "order_vs_size", metric "largest_position_rate", labels n and position).
nlohmann::json order_vs_size_json(const OrderVsSizeResult& result);

/// Returns the CSV table: objects,position,captions,count,rate,ci_low,ci_high,chance.
std::string order_vs_size_csv(const OrderVsSizeResult& result);

/// Returns an SVG bar chart: a group of bars (rate per position) per k with interval whiskers and
/// a dashed line at the chance level.
std::string order_vs_size_svg(const OrderVsSizeResult& result);

/// Writes order_vs_size.json, order_vs_size.csv and order_vs_size.svg into `folder` (created if
/// missing), each atomically. Throws Error(kIo) naming the file that failed.
void write_order_vs_size(const OrderVsSizeResult& result, const std::filesystem::path& folder);

}  // namespace clipscope::experiments
