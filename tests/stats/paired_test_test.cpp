#include "clipscope/stats/paired_test.h"

#include <gtest/gtest.h>

#include <vector>

#include "clipscope/error.h"

namespace clipscope::stats {
namespace {

// The binomial tail is summed through lgamma and exp, which round in the last few bits.
constexpr double kSumTolerance = 1e-12;

TEST(BinomialTwoSided, HandComputedValues) {
  // 2 * (C(10,0) + C(10,1)) / 2^10
  EXPECT_NEAR(binomial_two_sided_p(1, 10), 2.0 * 11.0 / 1024.0, kSumTolerance);
  EXPECT_NEAR(binomial_two_sided_p(9, 10), 2.0 * 11.0 / 1024.0, kSumTolerance);
  EXPECT_DOUBLE_EQ(binomial_two_sided_p(5, 10), 1.0);
  EXPECT_DOUBLE_EQ(binomial_two_sided_p(0, 0), 1.0);
}

TEST(McNemarExact, CountsDiscordantPairs) {
  std::vector<double> a{1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  std::vector<double> b{1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  PairedTestResult result = mcnemar_exact(a, b);
  EXPECT_EQ(result.only_a, 1);
  EXPECT_EQ(result.only_b, 8);
  // 2 * (C(9,0) + C(9,1)) / 2^9
  EXPECT_NEAR(result.p_value, 20.0 / 512.0, kSumTolerance);
}

TEST(McNemarExact, NoDiscordanceGivesOne) {
  std::vector<double> a{1, 0, 1};
  PairedTestResult result = mcnemar_exact(a, a);
  EXPECT_EQ(result.only_a + result.only_b, 0);
  EXPECT_DOUBLE_EQ(result.p_value, 1.0);
}

TEST(McNemarExact, RejectsUnequalLengths) {
  std::vector<double> a{1, 0};
  std::vector<double> b{1};
  EXPECT_THROW(mcnemar_exact(a, b), Error);
}

TEST(SignTest, DropsTies) {
  std::vector<double> a{0.5, 0.2, 0.3, 0.9};
  std::vector<double> b{0.5, 0.4, 0.1, 0.95};
  PairedTestResult result = sign_test(a, b);
  EXPECT_EQ(result.only_a, 1);
  EXPECT_EQ(result.only_b, 2);
  EXPECT_DOUBLE_EQ(result.p_value, 1.0);
}

TEST(PairedBootstrap, DifferenceOfMeans) {
  std::vector<double> a{0, 0, 1, 0};
  std::vector<double> b{1, 1, 1, 0};
  Estimate estimate = paired_bootstrap_difference(a, b, {});
  EXPECT_DOUBLE_EQ(estimate.value, 0.5);
  EXPECT_LE(estimate.interval->low, 0.5);
  EXPECT_GE(estimate.interval->high, 0.5);
  EXPECT_GE(estimate.interval->low, 0.0);
}

}  // namespace
}  // namespace clipscope::stats
