// Image-text matching on real COCO captions (coco-matching). Each caption is rewritten so that the
// largest annotated object is named first (scenario 1) or last (scenario 2). It must score above
// distractors in which one object is replaced by a category absent from the image. The caption as
// written is scored too. coco_caption_edits.h rewrites the captions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "clipscope/experiments/coco_objects.h"
#include "clipscope/experiments/mentions.h"
#include "clipscope/experiments/order_vs_size.h"
#include "clipscope/experiments/results.h"
#include "clipscope/model/encoder.h"

namespace clipscope::experiments {

/// Settings of coco-matching.
struct CocoMatchingOptions {
  int64_t distractors = 4;  ///< Distractor captions per caption and scenario; at least 1.
  uint64_t seed = 0;        ///< Seed of the absent categories and replaced objects.
};

/// The scenarios, in the order of CocoMatchingCaption's arrays.
inline constexpr std::array<const char*, 3> kMatchingScenarios = {"as_written", "large_first", "large_last"};

/// The texts of one caption in every scenario.
struct CocoMatchingCaption {
  int64_t caption_id = 0;
  int64_t image_id = 0;
  std::filesystem::path image;
  std::vector<std::string> objects;  ///< Annotated categories in caption order.
  size_t largest = 0;                ///< Index into `objects` of the largest one (union area in the image).
  std::vector<std::string> absent;   ///< Replacement category of each distractor.
  std::vector<size_t> replaced;      ///< Index into `objects` of the object each distractor replaces.
  std::array<std::string, 3> correct;                   ///< Per scenario.
  std::array<std::vector<std::string>, 3> distractors;  ///< Per scenario, one per entry of `absent`.
};

/// Builds the scenario texts of every caption with at least two annotated objects. The largest
/// object is the caption object ranked first in `images` (the same image). Each distractor takes a
/// category that is neither annotated in the image nor mentioned in the caption, drawn without
/// repetition, and replaces a uniformly drawn object. Both draws depend only on the seed and the
/// caption id, so every scenario uses the same draws. Captions with fewer absent categories than
/// distractors are skipped. Throws Error(kInvalidArgument) for options.distractors < 1.
std::vector<CocoMatchingCaption> build_matching_captions(const std::vector<CaptionObjects>& captions,
                                                         const MentionMatcher& matcher,
                                                         const std::vector<ImageObjects>& images,
                                                         const std::vector<std::string>& categories,
                                                         const CocoMatchingOptions& options);

/// Runs coco-matching: a caption succeeds in a scenario when its correct text scores strictly
/// above every distractor against the image. Adds accuracy per scenario (label "scenario": 1 for
/// large first, 2 for large last, "as_written") and the paired comparison of large last (a)
/// against large first (b). Throws Error(kUnsupported) unless the encoder has both towers and
/// Error(kInvalidArgument) if `captions` is empty.
void run_coco_matching(model::Encoder& encoder, const std::vector<CocoMatchingCaption>& captions,
                       MetricCollector& collector, CsvTable& samples);

}  // namespace clipscope::experiments
