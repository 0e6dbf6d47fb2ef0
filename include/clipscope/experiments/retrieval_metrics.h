// Per-sample retrieval metrics on one row of similarities against a vocabulary: the ranking, top-n
// sets, set precision/recall/F1, average precision, NDCG, P@k and R@k. Experiments average them
// over samples (tor.h, ior.h); this file has no model or data set dependency.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clipscope::experiments {

/// Membership and ranking semantics.
enum class Compat {
  /// Fixed semantics: an object is present only by exact identity, rankings are best first.
  kPaper,
  /// The authors' scripts: a vocabulary name is present when it is a substring of the caption
  /// (so "car" is found in "carrot" and "dog" in "hot dog"), and rankings are read worst first.
  kReference,
};

/// Parses "paper" or "reference". Throws Error(kInvalidArgument) naming the value otherwise.
Compat parse_compat(std::string_view text);

/// Returns "paper" or "reference".
std::string compat_name(Compat compat);

/// Returns vocabulary indices sorted by descending score. Ties keep the lower index first, so the
/// result is deterministic.
std::vector<int64_t> rank_descending(std::span<const float> scores);

/// Returns relevance flags [V] for the given present object indices (duplicates collapse).
std::vector<bool> relevance_by_identity(std::span<const int64_t> present, int64_t vocabulary_size);

/// Returns relevance flags [V]: true where the name occurs as a substring of `caption`.
/// NOTE: this reproduces the reference scripts' membership test, which counts "car" in "carrot".
std::vector<bool> relevance_by_substring(std::string_view caption, std::span<const std::string> names);

/// Set precision, recall and F1 of a retrieved set against the relevant items.
struct SetScores {
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
};

/// Scores the first `n` entries of `ranking` as a set against `relevant`. Precision is 0 for n = 0,
/// recall is 0 when nothing is relevant, F1 is 0 when precision + recall is 0.
SetScores set_scores(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t n);

/// Returns true if the first `n` entries of `ranking` are exactly the relevant items.
bool top_n_exact(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t n);

/// Returns the average precision of `ranking` (mean of precision at each relevant hit over all
/// relevant items); 0 when nothing is relevant.
double average_precision(std::span<const int64_t> ranking, const std::vector<bool>& relevant);

/// Returns NDCG of `ranking` with binary relevance and log2(rank + 1) discounts; 0 when nothing is relevant.
double ndcg(std::span<const int64_t> ranking, const std::vector<bool>& relevant);

/// Returns the fraction of the first `k` ranked items that are relevant (k > 0).
double precision_at_k(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t k);

/// Returns the fraction of relevant items found in the first `k`; 0 when nothing is relevant.
double recall_at_k(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t k);

/// Returns the ranking the ranking metrics read: `ranking` itself for kPaper and its reverse
/// (worst first) for kReference.
std::vector<int64_t> metric_ranking(std::span<const int64_t> ranking, Compat compat);

/// Returns the first position in `objects` whose object is `index`, or -1 if absent.
int64_t position_of(std::span<const int64_t> objects, int64_t index);

}  // namespace clipscope::experiments
