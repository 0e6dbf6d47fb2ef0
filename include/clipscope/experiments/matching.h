// Image-text matching on scene images: does the correct caption beat captions naming an absent
// object? Scenario 1 mentions the large object first, scenario 2 last. The per-object mitigation
// encodes each object phrase separately and aggregates the embeddings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clipscope/experiments/results.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/model/encoder.h"

namespace clipscope::experiments {

/// Scheme for the distractor captions of an image whose correct caption lists its objects.
enum class DistractorStyle {
  /// For every absent object, two distractors: it replaces the first-mentioned and, separately,
  /// the last-mentioned object of the correct caption.
  kPaper,
  /// For every absent object, one distractor: it replaces the last-mentioned object.
  /// NOTE: the authors' scripts were not available to check which slot they replace; the last slot is
  /// an assumption recorded in the results options.
  kReference,
};

/// Parses "paper" or "reference". Throws Error(kInvalidArgument) otherwise.
DistractorStyle parse_distractor_style(std::string_view text);

/// Settings of the matching experiment.
struct MatchingOptions {
  DistractorStyle distractors = DistractorStyle::kPaper;
  bool article = true;  ///< Write "a cube and a sphere".
  /// Per-object aggregations to run besides the whole caption: "sum" and/or "mean".
  std::vector<std::string> aggregations{"sum", "mean"};
};

/// Returns the captions for objects in mention order: [correct, distractors...].
std::vector<std::vector<std::string>> matching_object_lists(const std::vector<std::string>& mentioned,
                                                             const std::vector<std::string>& vocabulary,
                                                             DistractorStyle style);

/// Runs both scenarios. Throws Error(kUnsupported) unless the encoder has both towers.
void run_matching(model::Encoder& encoder, const SceneSet& scenes, const MatchingOptions& options,
                  MetricCollector& collector, CsvTable& samples);

}  // namespace clipscope::experiments
