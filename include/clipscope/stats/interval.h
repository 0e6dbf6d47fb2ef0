// Point estimates with confidence intervals: seeded percentile bootstrap of a mean and the Wilson
// score interval of a proportion. paired_test.h compares two settings measured on the same samples.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace clipscope::stats {

/// Closed interval [low, high].
struct Interval {
  double low = 0.0;
  double high = 0.0;
};

/// A mean over samples with its confidence interval.
struct Estimate {
  double value = 0.0;              ///< Sample mean; 0 when n is 0.
  std::optional<Interval> interval;  ///< Empty when n is 0.
  std::string method;              ///< "bootstrap_percentile" or "wilson".
  int64_t n = 0;                   ///< Number of samples.
};

/// Settings of a percentile bootstrap.
struct BootstrapOptions {
  int resamples = 1000;  ///< Number of resamples; at least 1.
  double level = 0.95;   ///< Coverage of the interval, in (0, 1).
  uint64_t seed = 0;     ///< Seed of the resampling generator (std::mt19937_64).
};

/// Estimates the mean of `values` with a percentile bootstrap interval: `resamples` means of n
/// values drawn with replacement, cut at the (1 - level) / 2 and (1 + level) / 2 quantiles
/// (linear interpolation between order statistics). The same seed and values give the same interval.
/// Throws Error(kInvalidArgument) for resamples < 1 or a level outside (0, 1).
Estimate bootstrap_mean(std::span<const double> values, const BootstrapOptions& options);

/// Returns the Wilson score interval of `successes` out of `n` at coverage `level`.
/// Throws Error(kInvalidArgument) unless 0 <= successes <= n, n > 0 and 0 < level < 1.
Interval wilson_interval(int64_t successes, int64_t n, double level);

/// Estimates a proportion of 0/1 `outcomes` with the Wilson interval.
Estimate wilson_proportion(std::span<const double> outcomes, double level);

/// Returns the standard normal quantile of `probability` in (0, 1).
double normal_quantile(double probability);

/// Returns the `q` quantile (0..1) of sorted values with linear interpolation (NumPy's default).
double sorted_quantile(std::span<const double> sorted, double q);

}  // namespace clipscope::stats
