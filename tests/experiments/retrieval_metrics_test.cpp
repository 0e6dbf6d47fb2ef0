#include "clipscope/experiments/retrieval_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "clipscope/error.h"

namespace clipscope::experiments {
namespace {

// Metrics are sums of a few fractions; double rounding stays far below this.
constexpr double kTolerance = 1e-12;

TEST(RankDescending, TiesKeepLowerIndexFirst) {
  std::vector<float> scores{0.5f, 0.9f, 0.5f, 0.1f};
  EXPECT_EQ(rank_descending(scores), (std::vector<int64_t>{1, 0, 2, 3}));
}

TEST(SetScores, HandCheckedCase) {
  std::vector<int64_t> ranking{3, 0, 1, 2, 4};
  std::vector<int64_t> present{0, 2};
  std::vector<bool> relevant = relevance_by_identity(present, 5);
  SetScores scores = set_scores(ranking, relevant, 2);
  EXPECT_NEAR(scores.precision, 0.5, kTolerance);
  EXPECT_NEAR(scores.recall, 0.5, kTolerance);
  EXPECT_NEAR(scores.f1, 0.5, kTolerance);
  EXPECT_FALSE(top_n_exact(ranking, relevant, 2));
  EXPECT_TRUE(top_n_exact(std::vector<int64_t>{2, 0, 1, 3, 4}, relevant, 2));
}

TEST(AveragePrecision, HandCheckedCase) {
  // relevant at ranks 2 and 4: (1/2 + 2/4) / 2
  std::vector<int64_t> ranking{3, 0, 1, 2, 4};
  std::vector<bool> relevant = relevance_by_identity(std::vector<int64_t>{0, 2}, 5);
  EXPECT_NEAR(average_precision(ranking, relevant), 0.5, kTolerance);
  // DCG 1/log2(3) + 1/log2(5), ideal 1 + 1/log2(3)
  double expected = (1.0 / std::log2(3.0) + 1.0 / std::log2(5.0)) / (1.0 + 1.0 / std::log2(3.0));
  EXPECT_NEAR(ndcg(ranking, relevant), expected, kTolerance);
  EXPECT_NEAR(precision_at_k(ranking, relevant, 2), 0.5, kTolerance);
  EXPECT_NEAR(recall_at_k(ranking, relevant, 4), 1.0, kTolerance);
  EXPECT_NEAR(recall_at_k(ranking, relevant, 1), 0.0, kTolerance);
}

TEST(RetrievalMetrics, NothingRelevantGivesZero) {
  std::vector<int64_t> ranking{0, 1, 2};
  std::vector<bool> relevant(3, false);
  EXPECT_EQ(average_precision(ranking, relevant), 0.0);
  EXPECT_EQ(ndcg(ranking, relevant), 0.0);
  EXPECT_EQ(recall_at_k(ranking, relevant, 2), 0.0);
  EXPECT_THROW(precision_at_k(ranking, relevant, 0), Error);
}

TEST(RetrievalMetrics, PerfectRankingForEveryN) {
  for (int64_t n = 1; n <= 5; ++n) {
    std::vector<int64_t> ranking{0, 1, 2, 3, 4, 5, 6};
    std::vector<int64_t> present(ranking.begin(), ranking.begin() + n);
    std::vector<bool> relevant = relevance_by_identity(present, 7);
    EXPECT_TRUE(top_n_exact(ranking, relevant, n)) << "n=" << n;
    EXPECT_NEAR(average_precision(ranking, relevant), 1.0, kTolerance) << "n=" << n;
    EXPECT_NEAR(ndcg(ranking, relevant), 1.0, kTolerance) << "n=" << n;
    EXPECT_NEAR(set_scores(ranking, relevant, n).f1, 1.0, kTolerance) << "n=" << n;
  }
}

TEST(RelevanceByIdentity, DuplicateObjectsCollapse) {
  std::vector<bool> relevant = relevance_by_identity(std::vector<int64_t>{1, 1}, 3);
  EXPECT_EQ(std::count(relevant.begin(), relevant.end(), true), 1);
  EXPECT_EQ(position_of(std::vector<int64_t>{1, 1}, 1), 0);
  EXPECT_EQ(position_of(std::vector<int64_t>{1, 1}, 2), -1);
}

TEST(RelevanceBySubstring, FindsNamesInsideOtherNames) {
  std::vector<std::string> names{"car", "carrot", "dog", "hot dog", "cat"};
  std::vector<bool> relevant = relevance_by_substring("carrot and hot dog", names);
  EXPECT_TRUE(relevant[0]);   // "car" inside "carrot"
  EXPECT_TRUE(relevant[1]);
  EXPECT_TRUE(relevant[2]);   // "dog" inside "hot dog"
  EXPECT_TRUE(relevant[3]);
  EXPECT_FALSE(relevant[4]);
  std::vector<bool> exact = relevance_by_identity(std::vector<int64_t>{1, 3}, 5);
  EXPECT_FALSE(exact[0]);
  EXPECT_FALSE(exact[2]);
}

TEST(MetricRanking, ReferenceReadsWorstFirst) {
  std::vector<int64_t> ranking{2, 0, 1};
  EXPECT_EQ(metric_ranking(ranking, Compat::kPaper), ranking);
  EXPECT_EQ(metric_ranking(ranking, Compat::kReference), (std::vector<int64_t>{1, 0, 2}));
  std::vector<bool> relevant = relevance_by_identity(std::vector<int64_t>{2}, 3);
  EXPECT_NEAR(average_precision(metric_ranking(ranking, Compat::kPaper), relevant), 1.0, kTolerance);
  EXPECT_NEAR(average_precision(metric_ranking(ranking, Compat::kReference), relevant), 1.0 / 3.0, kTolerance);
}

TEST(ParseCompat, RejectsUnknownMode) {
  EXPECT_EQ(parse_compat("paper"), Compat::kPaper);
  EXPECT_EQ(parse_compat("reference"), Compat::kReference);
  EXPECT_THROW(parse_compat("pytorch"), Error);
}

// Plain re-computation of every metric from its definition, for the property test.
struct Plain {
  static double ap(const std::vector<int64_t>& ranking, const std::vector<bool>& relevant) {
    double total = 0;
    int64_t relevant_count = std::count(relevant.begin(), relevant.end(), true);
    for (size_t k = 1; k <= ranking.size(); ++k) {
      if (!relevant[ranking[k - 1]]) continue;
      double hits = 0;
      for (size_t j = 0; j < k; ++j) hits += relevant[ranking[j]];
      total += hits / k;
    }
    return relevant_count ? total / relevant_count : 0.0;
  }
  static double dcg_at(const std::vector<bool>& gains_in_order) {
    double total = 0;
    for (size_t i = 0; i < gains_in_order.size(); ++i) total += gains_in_order[i] / std::log2(i + 2.0);
    return total;
  }
};

TEST(RetrievalMetrics, AgreeWithPlainRecomputation) {
  std::mt19937_64 generator(11);
  for (int trial = 0; trial < 300; ++trial) {
    int64_t vocabulary_size = 2 + static_cast<int64_t>(generator() % 20);
    int64_t n = 1 + static_cast<int64_t>(generator() % std::min<int64_t>(5, vocabulary_size));
    std::vector<float> scores(static_cast<size_t>(vocabulary_size));
    for (float& score : scores) score = static_cast<float>(generator() % 7) / 7.0f;  // many ties
    std::vector<int64_t> pool(static_cast<size_t>(vocabulary_size));
    std::iota(pool.begin(), pool.end(), 0);
    std::shuffle(pool.begin(), pool.end(), generator);
    std::vector<int64_t> present(pool.begin(), pool.begin() + n);

    std::vector<int64_t> ranking = rank_descending(scores);
    std::vector<bool> relevant = relevance_by_identity(present, vocabulary_size);

    // ranking is a permutation sorted by score with ties by index
    for (size_t i = 1; i < ranking.size(); ++i) {
      bool ordered = scores[ranking[i - 1]] > scores[ranking[i]] ||
                     (scores[ranking[i - 1]] == scores[ranking[i]] && ranking[i - 1] < ranking[i]);
      ASSERT_TRUE(ordered);
    }

    int64_t hits_n = 0;
    for (int64_t j = 0; j < n; ++j) hits_n += relevant[ranking[j]];
    EXPECT_EQ(top_n_exact(ranking, relevant, n), hits_n == n);
    EXPECT_NEAR(set_scores(ranking, relevant, n).precision, static_cast<double>(hits_n) / n, kTolerance);
    EXPECT_NEAR(set_scores(ranking, relevant, n).recall, static_cast<double>(hits_n) / n, kTolerance);
    EXPECT_NEAR(average_precision(ranking, relevant), Plain::ap(ranking, relevant), kTolerance);

    std::vector<bool> gains;
    for (int64_t index : ranking) gains.push_back(relevant[index]);
    std::vector<bool> ideal(gains.size(), false);
    std::fill(ideal.begin(), ideal.begin() + n, true);
    EXPECT_NEAR(ndcg(ranking, relevant), Plain::dcg_at(gains) / Plain::dcg_at(ideal), kTolerance);

    for (int64_t k = 1; k <= vocabulary_size; ++k) {
      double hits = 0;
      for (int64_t j = 0; j < k; ++j) hits += relevant[ranking[j]];
      EXPECT_NEAR(precision_at_k(ranking, relevant, k), hits / k, kTolerance);
      EXPECT_NEAR(recall_at_k(ranking, relevant, k), hits / n, kTolerance);
    }
  }
}

}  // namespace
}  // namespace clipscope::experiments
