// Paired comparisons of two models or two settings evaluated on the same samples: exact McNemar,
// the sign test and a paired bootstrap of the difference. interval.h has the one-sample estimates.
#pragma once

#include <cstdint>
#include <span>

#include "clipscope/stats/interval.h"

namespace clipscope::stats {

/// Outcome of an exact binomial test on discordant pairs.
struct PairedTestResult {
  int64_t only_a = 0;    ///< Samples where a succeeded (or was larger) and b did not.
  int64_t only_b = 0;    ///< Samples where b succeeded (or was larger) and a did not.
  double p_value = 1.0;  ///< Two-sided exact p-value; 1 when there are no discordant pairs.
};

/// Runs the exact McNemar test on paired 0/1 outcomes (nonzero counts as success).
/// Throws Error(kInvalidArgument) if the lengths differ.
PairedTestResult mcnemar_exact(std::span<const double> a, std::span<const double> b);

/// Runs the sign test on paired values; ties are dropped. Throws Error(kInvalidArgument) if the lengths differ.
PairedTestResult sign_test(std::span<const double> a, std::span<const double> b);

/// Returns the two-sided exact binomial p-value of k successes in n trials at probability 0.5:
/// min(1, 2 * P(X <= min(k, n - k))).
double binomial_two_sided_p(int64_t k, int64_t n);

/// Estimates mean(b - a) with a paired percentile bootstrap (the same resampled indices for a and b).
/// Throws Error(kInvalidArgument) if the lengths differ.
Estimate paired_bootstrap_difference(std::span<const double> a, std::span<const double> b,
                                     const BootstrapOptions& options);

}  // namespace clipscope::stats
