#include "clipscope/stats/paired_test.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "clipscope/error.h"

namespace clipscope::stats {
namespace {

void check_lengths(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size()) {
    fail(ErrorKind::kInvalidArgument, "paired comparison needs equal sample counts, got {} and {}", a.size(),
         b.size());
  }
}

}  // namespace

double binomial_two_sided_p(int64_t k, int64_t n) {
  if (n <= 0) return 1.0;
  int64_t tail_end = std::min(k, n - k);

  // P(X <= tail_end) for X ~ Binomial(n, 1/2), summed in log space to stay finite for large n
  double tail = 0.0;
  double log_half_power = static_cast<double>(n) * std::log(0.5);
  for (int64_t i = 0; i <= tail_end; ++i) {
    double log_choose = std::lgamma(static_cast<double>(n) + 1.0) - std::lgamma(static_cast<double>(i) + 1.0) -
                        std::lgamma(static_cast<double>(n - i) + 1.0);
    tail += std::exp(log_choose + log_half_power);
  }
  return std::min(1.0, 2.0 * tail);
}

PairedTestResult mcnemar_exact(std::span<const double> a, std::span<const double> b) {
  check_lengths(a, b);
  PairedTestResult result;
  for (size_t i = 0; i < a.size(); ++i) {
    bool success_a = a[i] != 0.0;
    bool success_b = b[i] != 0.0;
    if (success_a && !success_b) ++result.only_a;
    if (success_b && !success_a) ++result.only_b;
  }
  result.p_value = binomial_two_sided_p(result.only_a, result.only_a + result.only_b);
  return result;
}

PairedTestResult sign_test(std::span<const double> a, std::span<const double> b) {
  check_lengths(a, b);
  PairedTestResult result;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) ++result.only_a;
    if (b[i] > a[i]) ++result.only_b;
  }
  result.p_value = binomial_two_sided_p(result.only_a, result.only_a + result.only_b);
  return result;
}

Estimate paired_bootstrap_difference(std::span<const double> a, std::span<const double> b,
                                     const BootstrapOptions& options) {
  check_lengths(a, b);
  std::vector<double> differences(a.size());
  for (size_t i = 0; i < a.size(); ++i) differences[i] = b[i] - a[i];
  return bootstrap_mean(differences, options);
}

}  // namespace clipscope::stats
