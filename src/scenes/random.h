// A seeded random source whose numbers are the same on every platform and standard library
// (std::uniform_*_distribution is not), private to src/scenes.
#pragma once

#include <cstdint>
#include <random>

namespace clipscope::scenes::detail {

/// SplitMix64 step, used to derive independent seeds from (seed, index) pairs.
inline uint64_t mix_seed(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(mix_seed(seed)) {}

  /// Returns a double uniform in [0, 1).
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// Returns a double uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  /// Returns an integer uniform in [0, count), count >= 1.
  int below(int count) { return static_cast<int>(uniform() * count); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace clipscope::scenes::detail
