#include "clipscope/experiments/retrieval_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "clipscope/error.h"

namespace clipscope::experiments {
namespace {

int64_t count_relevant(const std::vector<bool>& relevant) {
  return std::count(relevant.begin(), relevant.end(), true);
}

int64_t hits_in_prefix(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t k) {
  int64_t end = std::min<int64_t>(k, static_cast<int64_t>(ranking.size()));
  int64_t hits = 0;
  for (int64_t i = 0; i < end; ++i) hits += relevant[static_cast<size_t>(ranking[i])] ? 1 : 0;
  return hits;
}

}  // namespace

Compat parse_compat(std::string_view text) {
  if (text == "paper") return Compat::kPaper;
  if (text == "reference") return Compat::kReference;
  fail(ErrorKind::kInvalidArgument, "unknown compat mode \"{}\"; use \"paper\" or \"reference\"", text);
}

std::string compat_name(Compat compat) { return compat == Compat::kPaper ? "paper" : "reference"; }

std::vector<int64_t> rank_descending(std::span<const float> scores) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t left, int64_t right) {
    return scores[static_cast<size_t>(left)] > scores[static_cast<size_t>(right)];
  });
  return order;
}

std::vector<bool> relevance_by_identity(std::span<const int64_t> present, int64_t vocabulary_size) {
  std::vector<bool> relevant(static_cast<size_t>(vocabulary_size), false);
  for (int64_t index : present) relevant.at(static_cast<size_t>(index)) = true;
  return relevant;
}

std::vector<bool> relevance_by_substring(std::string_view caption, std::span<const std::string> names) {
  std::vector<bool> relevant(names.size(), false);
  for (size_t i = 0; i < names.size(); ++i) relevant[i] = caption.find(names[i]) != std::string_view::npos;
  return relevant;
}

SetScores set_scores(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t n) {
  SetScores scores;
  int64_t retrieved = std::min<int64_t>(n, static_cast<int64_t>(ranking.size()));
  int64_t hits = hits_in_prefix(ranking, relevant, n);
  int64_t relevant_count = count_relevant(relevant);
  if (retrieved > 0) scores.precision = static_cast<double>(hits) / static_cast<double>(retrieved);
  if (relevant_count > 0) scores.recall = static_cast<double>(hits) / static_cast<double>(relevant_count);
  double total = scores.precision + scores.recall;
  if (total > 0.0) scores.f1 = 2.0 * scores.precision * scores.recall / total;
  return scores;
}

bool top_n_exact(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t n) {
  return count_relevant(relevant) == n && hits_in_prefix(ranking, relevant, n) == n;
}

double average_precision(std::span<const int64_t> ranking, const std::vector<bool>& relevant) {
  int64_t relevant_count = count_relevant(relevant);
  if (relevant_count == 0) return 0.0;
  double total = 0.0;
  int64_t hits = 0;
  for (size_t i = 0; i < ranking.size(); ++i) {
    if (!relevant[static_cast<size_t>(ranking[i])]) continue;
    ++hits;
    total += static_cast<double>(hits) / static_cast<double>(i + 1);
  }
  return total / static_cast<double>(relevant_count);
}

double ndcg(std::span<const int64_t> ranking, const std::vector<bool>& relevant) {
  int64_t relevant_count = count_relevant(relevant);
  if (relevant_count == 0) return 0.0;
  double gain = 0.0;
  for (size_t i = 0; i < ranking.size(); ++i) {
    if (relevant[static_cast<size_t>(ranking[i])]) gain += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  }
  double ideal = 0.0;
  for (int64_t i = 0; i < relevant_count; ++i) ideal += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  return gain / ideal;
}

double precision_at_k(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t k) {
  if (k <= 0) fail(ErrorKind::kInvalidArgument, "precision@k needs k >= 1, got {}", k);
  return static_cast<double>(hits_in_prefix(ranking, relevant, k)) / static_cast<double>(k);
}

double recall_at_k(std::span<const int64_t> ranking, const std::vector<bool>& relevant, int64_t k) {
  int64_t relevant_count = count_relevant(relevant);
  if (relevant_count == 0) return 0.0;
  return static_cast<double>(hits_in_prefix(ranking, relevant, k)) / static_cast<double>(relevant_count);
}

std::vector<int64_t> metric_ranking(std::span<const int64_t> ranking, Compat compat) {
  std::vector<int64_t> result(ranking.begin(), ranking.end());
  if (compat == Compat::kReference) std::reverse(result.begin(), result.end());
  return result;
}

int64_t position_of(std::span<const int64_t> objects, int64_t index) {
  auto found = std::find(objects.begin(), objects.end(), index);
  return found == objects.end() ? -1 : static_cast<int64_t>(found - objects.begin());
}

}  // namespace clipscope::experiments
