// Text-based object retrieval (TOR): multi-object captions are compared with the embeddings of
// the single object names, and the retrieved names show which caption position dominates.
// Metric definitions are in docs/results-schema.md; per-sample metrics in retrieval_metrics.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clipscope/experiments/captions.h"
#include "clipscope/experiments/results.h"
#include "clipscope/experiments/retrieval_metrics.h"
#include "clipscope/model/encoder.h"

namespace clipscope::experiments {

/// Settings of the TOR experiment.
struct TorOptions {
  std::vector<int64_t> object_counts{2, 3, 4};  ///< Objects per caption; one set of captions each.
  int64_t max_captions = 2000;                  ///< Seeded sample above this many captions per count.
  bool article = false;                          ///< Write "a cube" instead of "cube" in captions.
  bool template_variant = true;                  ///< Also run the long templated captions.
  std::vector<std::string> templates;            ///< Templates for that variant; empty: the built-in one.
  bool sum_variant = true;                       ///< Also run the order-free Sum control.
  /// Run the size variants (large or small object first, then medium ones). Needs size categories:
  /// the built-in COCO ones apply to coco80/coco90, other vocabularies skip the variant.
  bool size_variants = true;
};

/// Runs TOR on `vocabulary` and adds its metrics to `collector` and its rows to `samples`.
/// Throws Error(kUnsupported) if the encoder has no text tower.
void run_tor(model::Encoder& encoder, const Vocabulary& vocabulary, const TorOptions& options, Compat compat,
             uint64_t seed, MetricCollector& collector, CsvTable& samples);

/// Returns the header of tor_samples.csv.
std::vector<std::string> tor_samples_header();

}  // namespace clipscope::experiments
