// Shared by TOR, IOR and I2TOR: scoring samples against a vocabulary and adding the pooled metric
// records. Private to the experiments area.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/experiments/results.h"
#include "clipscope/experiments/retrieval_metrics.h"

namespace clipscope::experiments::detail {

/// One caption or image with the objects it contains.
struct RetrievalSample {
  std::vector<int64_t> objects;         ///< Vocabulary indices in caption or slot order.
  std::vector<bool> relevant;           ///< [V] membership used by the set and ranking metrics.
  std::vector<std::string> slot_names;  ///< Names per slot; kReference finds the top-1 slot by substring.
  int64_t large_slot = -1;              ///< Slot of the large object (images), -1 for captions.
};

/// Per-sample results.
struct RetrievalOutcome {
  std::vector<int64_t> ranking;    ///< Best first.
  int64_t top1_slot = -1;          ///< Slot of the top-1 name, -1 if it is not present.
  int64_t most_similar_slot = -1;  ///< Slot of the most similar present object.
  bool topn_correct = false;
  SetScores set;
  double average_precision = 0.0;
  double ndcg = 0.0;
  std::vector<double> precision_at;  ///< Indexed like the k list.
  std::vector<double> recall_at;
};

/// Scores every sample against its similarity row [V]; `names` are the V vocabulary names.
std::vector<RetrievalOutcome> evaluate_retrieval(const std::vector<std::vector<float>>& rows,
                                                 const std::vector<RetrievalSample>& samples,
                                                 const std::vector<std::string>& names, Compat compat,
                                                 const std::vector<int64_t>& ks);

/// Returns the position of `name` in the vocabulary `names`, and fails when the name is not in it.
int64_t vocabulary_index(const std::vector<std::string>& names, const std::string& name);

/// Returns the cut-offs used for P@k and R@k: 1..n, 5 and 10, capped at V.
std::vector<int64_t> cutoffs(int64_t n, int64_t vocabulary_size);

/// Adds the pooled metric records of samples that all have `n` objects. `slot_key` is "position"
/// for captions (metric top1_position_rate) or "slot" for images (top1_slot_rate plus the size-role
/// and most-similar histograms).
void add_retrieval_metrics(MetricCollector& collector, const std::string& experiment, const std::string& variant,
                           int64_t n, int64_t vocabulary_size, const std::string& slot_key,
                           const std::vector<RetrievalSample>& samples,
                           const std::vector<RetrievalOutcome>& outcomes, const std::vector<int64_t>& ks);

/// Adds set precision, recall and F1, mean average precision, NDCG, and P@k and R@k for every
/// cut-off in `ks`, over samples that all have `n` objects.
void add_set_and_ranking_metrics(MetricCollector& collector, const std::string& experiment,
                                 const std::string& variant, int64_t n, int64_t vocabulary_size,
                                 const std::vector<const RetrievalOutcome*>& outcomes,
                                 const std::vector<int64_t>& ks);

}  // namespace clipscope::experiments::detail
