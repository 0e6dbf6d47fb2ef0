// The bias-origin experiment (`clipscope origin`). It trains the same small CLIP twice, once on
// captions that name the largest object first and once on captions in random order, with the same
// seed, scenes and budget. It then measures the first-object and large-object bias of both models
// and tests the difference. train/trainer.h trains; experiments/bias_measures.h defines the rates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/experiments/tor.h"
#include "clipscope/train/trainer.h"

namespace clipscope::train {

/// Settings of run_origin().
struct OriginOptions {
  /// Configuration both arms share. The largest-first arm keeps its captions settings with
  /// order = largest-first. The random arm sets order = random and changes nothing else.
  TrainConfig base;
  std::filesystem::path output = "clipscope-origin";  ///< Receives both runs, their results and the report.
  bool resume = false;              ///< Continue runs already in `output` instead of rejecting them.
  std::filesystem::path dataset;    ///< Evaluation scene set; empty renders or reuses a cached SimCO set.
  int scene_count = 120;            ///< Images of the cached SimCO set.
  int scene_size = 224;             ///< Side of the cached SimCO images, in pixels.
  std::vector<std::string> experiments{"tor", "ior", "i2tor", "matching"};  ///< Run on both models.
  uint64_t eval_seed = 0;           ///< Seed of the evaluation set, caption sampling and bootstrap.
  experiments::TorOptions tor;      ///< TOR settings (object counts, caption sample size, variants).
};

/// Returns the two arms' configurations: {"largest-first", ...} and {"random", ...}.
std::vector<std::pair<std::string, TrainConfig>> origin_arms(const TrainConfig& base);

/// Trains both arms into output/<arm>/ (see train_clip), evaluates each final model on the same
/// inputs into output/eval/<arm>/, and writes origin.json (per arm: caption policy, held-out
/// accuracy, training time and the headline rates with intervals; per rate: the paired difference
/// random minus largest-first with its interval and exact McNemar p-value), origin.md, and
/// report.md/report.html with both models side by side. Returns the origin.json document. Throws
/// as train_clip and run_experiments do; origin.json is written last.
nlohmann::json run_origin(const OriginOptions& options);

/// Returns origin.md: the arms' settings and held-out accuracy, then one row per headline rate with
/// both arms, the difference, its interval and p-value.
std::string render_origin_markdown(const nlohmann::json& origin);

}  // namespace clipscope::train
