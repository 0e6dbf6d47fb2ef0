#include "clipscope/stats/interval.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "clipscope/error.h"

namespace clipscope::stats {
namespace {

// Published Wilson bounds are rounded to four decimals.
constexpr double kPublishedTolerance = 1e-4;

TEST(NormalQuantile, MatchesTableValues) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959964, 1e-6);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(normal_quantile(0.05), -1.644854, 1e-6);
}

TEST(WilsonInterval, EightOfTen) {
  Interval interval = wilson_interval(8, 10, 0.95);
  EXPECT_NEAR(interval.low, 0.4902, kPublishedTolerance);
  EXPECT_NEAR(interval.high, 0.9433, kPublishedTolerance);
}

TEST(WilsonInterval, ExtremesStayInUnitRange) {
  Interval none = wilson_interval(0, 20, 0.95);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_GT(none.high, 0.0);
  Interval all = wilson_interval(20, 20, 0.95);
  EXPECT_EQ(all.high, 1.0);
  EXPECT_LT(all.low, 1.0);
}

TEST(WilsonInterval, RejectsBadCounts) {
  EXPECT_THROW(wilson_interval(3, 2, 0.95), Error);
  EXPECT_THROW(wilson_interval(0, 0, 0.95), Error);
  EXPECT_THROW(wilson_interval(1, 2, 1.5), Error);
}

TEST(BootstrapMean, ConstantValuesGiveDegenerateInterval) {
  std::vector<double> values(50, 0.25);
  Estimate estimate = bootstrap_mean(values, {});
  EXPECT_DOUBLE_EQ(estimate.value, 0.25);
  ASSERT_TRUE(estimate.interval.has_value());
  EXPECT_DOUBLE_EQ(estimate.interval->low, 0.25);
  EXPECT_DOUBLE_EQ(estimate.interval->high, 0.25);
  EXPECT_EQ(estimate.n, 50);
  EXPECT_EQ(estimate.method, "bootstrap_percentile");
}

TEST(BootstrapMean, SameSeedSameInterval) {
  std::vector<double> values;
  for (int i = 0; i < 40; ++i) values.push_back(static_cast<double>((i * 37) % 11));
  BootstrapOptions options;
  options.seed = 7;
  Estimate first = bootstrap_mean(values, options);
  Estimate second = bootstrap_mean(values, options);
  EXPECT_EQ(first.interval->low, second.interval->low);
  EXPECT_EQ(first.interval->high, second.interval->high);
  options.seed = 8;
  Estimate other = bootstrap_mean(values, options);
  EXPECT_TRUE(other.interval->low != first.interval->low || other.interval->high != first.interval->high);
}

TEST(BootstrapMean, EmptyHasNoInterval) {
  Estimate estimate = bootstrap_mean(std::vector<double>{}, {});
  EXPECT_EQ(estimate.n, 0);
  EXPECT_FALSE(estimate.interval.has_value());
}

TEST(BootstrapMean, RejectsBadOptions) {
  std::vector<double> values{1.0};
  BootstrapOptions options;
  options.resamples = 0;
  EXPECT_THROW(bootstrap_mean(values, options), Error);
  options.resamples = 10;
  options.level = 0.0;
  EXPECT_THROW(bootstrap_mean(values, options), Error);
}

TEST(BootstrapMean, AgreesWithWilsonOnLargeSample) {
  std::mt19937_64 generator(3);
  std::bernoulli_distribution coin(0.3);
  std::vector<double> outcomes(2000);
  for (double& outcome : outcomes) outcome = coin(generator) ? 1.0 : 0.0;
  Estimate bootstrap = bootstrap_mean(outcomes, {});
  Estimate wilson = wilson_proportion(outcomes, 0.95);
  EXPECT_DOUBLE_EQ(bootstrap.value, wilson.value);
  // Both intervals are about +-0.02 wide here; resampling noise moves the bootstrap ends by ~0.003.
  EXPECT_NEAR(bootstrap.interval->low, wilson.interval->low, 0.006);
  EXPECT_NEAR(bootstrap.interval->high, wilson.interval->high, 0.006);
}

TEST(SortedQuantile, InterpolatesLikeNumPy) {
  std::vector<double> sorted{1.0, 2.0, 3.0, 4.0};
  EXPECT_DOUBLE_EQ(sorted_quantile(sorted, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(sorted_quantile(sorted, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(sorted_quantile(sorted, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(sorted_quantile(sorted, 0.25), 1.75);
}

}  // namespace
}  // namespace clipscope::stats
