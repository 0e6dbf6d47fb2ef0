#include "clipscope/stats/interval.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "clipscope/error.h"

namespace clipscope::stats {
namespace {

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) {
    fail(ErrorKind::kInvalidArgument, "confidence level {} is outside (0, 1); pass e.g. 0.95", level);
  }
}

double mean(std::span<const double> values) {
  double total = 0.0;
  for (double value : values) total += value;
  return values.empty() ? 0.0 : total / static_cast<double>(values.size());
}

}  // namespace

double sorted_quantile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0.0;
  double position = q * static_cast<double>(sorted.size() - 1);
  auto lower = static_cast<size_t>(std::floor(position));
  size_t upper = std::min(lower + 1, sorted.size() - 1);
  double fraction = position - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

double normal_quantile(double probability) {
  if (!(probability > 0.0 && probability < 1.0)) {
    fail(ErrorKind::kInvalidArgument, "normal quantile needs a probability in (0, 1), got {}", probability);
  }

  // bisection on the CDF 0.5 * erfc(-x / sqrt 2), accurate to about 1e-12
  double low = -40.0;
  double high = 40.0;
  for (int step = 0; step < 200; ++step) {
    double middle = 0.5 * (low + high);
    double cdf = 0.5 * std::erfc(-middle / std::sqrt(2.0));
    (cdf < probability ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

Estimate bootstrap_mean(std::span<const double> values, const BootstrapOptions& options) {
  check_level(options.level);
  if (options.resamples < 1) {
    fail(ErrorKind::kInvalidArgument, "bootstrap resamples {} must be at least 1", options.resamples);
  }

  Estimate estimate;
  estimate.method = "bootstrap_percentile";
  estimate.n = static_cast<int64_t>(values.size());
  estimate.value = mean(values);
  if (values.empty()) return estimate;

  std::mt19937_64 generator(options.seed);
  std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
  std::vector<double> means(static_cast<size_t>(options.resamples));
  for (double& resample_mean : means) {
    double total = 0.0;
    for (size_t i = 0; i < values.size(); ++i) total += values[pick(generator)];
    resample_mean = total / static_cast<double>(values.size());
  }
  std::sort(means.begin(), means.end());
  double tail = (1.0 - options.level) / 2.0;
  estimate.interval = Interval{sorted_quantile(means, tail), sorted_quantile(means, 1.0 - tail)};
  return estimate;
}

Interval wilson_interval(int64_t successes, int64_t n, double level) {
  check_level(level);
  if (n <= 0 || successes < 0 || successes > n) {
    fail(ErrorKind::kInvalidArgument, "Wilson interval needs 0 <= successes <= n and n > 0, got {} of {}",
         successes, n);
  }
  double z = normal_quantile(0.5 + level / 2.0);
  double count = static_cast<double>(n);
  double proportion = static_cast<double>(successes) / count;
  double denominator = 1.0 + z * z / count;
  double centre = (proportion + z * z / (2.0 * count)) / denominator;
  double half_width =
      z * std::sqrt(proportion * (1.0 - proportion) / count + z * z / (4.0 * count * count)) / denominator;
  return {std::max(0.0, centre - half_width), std::min(1.0, centre + half_width)};
}

Estimate wilson_proportion(std::span<const double> outcomes, double level) {
  check_level(level);
  Estimate estimate;
  estimate.method = "wilson";
  estimate.n = static_cast<int64_t>(outcomes.size());
  int64_t successes = 0;
  for (double outcome : outcomes) successes += outcome != 0.0 ? 1 : 0;
  if (outcomes.empty()) return estimate;
  estimate.value = static_cast<double>(successes) / static_cast<double>(outcomes.size());
  estimate.interval = wilson_interval(successes, estimate.n, level);
  return estimate;
}

}  // namespace clipscope::stats
