// clipscope train: parses options and calls train::train_clip.
#include <cstdio>
#include <limits>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/log.h"
#include "clipscope/train/trainer.h"
#include "commands.h"

namespace clipscope::cli {
namespace {

// Marks an integer option the user did not give, so that any given value reaches the config checks.
constexpr int64_t kUnset = std::numeric_limits<int64_t>::min();

struct TrainArguments {
  std::string config;
  std::string output;
  bool resume = false;
  int64_t steps = kUnset;
  int64_t batch_size = kUnset;
  int64_t seed = kUnset;
  std::string caption_order;
  double largest_first_probability = -1;
  std::string bpe;
};

void run_train(const TrainArguments& arguments) {
  nlohmann::json json = nlohmann::json::object();
  if (!arguments.config.empty()) {
    try {
      json = nlohmann::json::parse(io::read_file(arguments.config));
    } catch (const nlohmann::json::exception& error) {
      fail(ErrorKind::kInvalidArgument, "'{}' is not valid JSON: {}", arguments.config, error.what());
    }
  }
  if (!json.is_object()) {
    fail(ErrorKind::kInvalidArgument, "'{}' must hold a JSON object with training settings", arguments.config);
  }
  if (arguments.steps != kUnset) json["optimizer"]["steps"] = arguments.steps;
  if (arguments.batch_size != kUnset) json["optimizer"]["batch_size"] = arguments.batch_size;
  if (arguments.seed != kUnset) {
    if (arguments.seed < 0) fail(ErrorKind::kInvalidArgument, "--seed must be 0 or more, got {}", arguments.seed);
    json["seed"] = arguments.seed;
  }
  if (!arguments.caption_order.empty()) json["captions"]["order"] = arguments.caption_order;
  if (arguments.largest_first_probability >= 0) {
    json["captions"]["largest_first_probability"] = arguments.largest_first_probability;
  }
  if (!arguments.bpe.empty()) json["bpe_path"] = arguments.bpe;

  train::TrainConfig config = train::train_config_from_json(json);
  train::TrainSummary summary = train::train_clip(config, arguments.output, arguments.resume);
  std::printf("model: %s\nsteps: %lld in %.1f s\n", summary.model_folder.string().c_str(),
              static_cast<long long>(summary.steps), summary.seconds);
  if (!summary.evaluations.empty()) {
    const auto& last = summary.evaluations.back();
    std::printf("held-out zero-shot accuracy: %.3f (chance %.3f)\nheld-out retrieval top-1: %.3f\n",
                last.zero_shot_accuracy, 1.0 / static_cast<double>(config.data.shapes.empty() ? 18 : config.data.shapes.size()),
                last.retrieval_accuracy);
  }
}

}  // namespace

void add_train_commands(CLI::App& app) {
  auto arguments = std::make_shared<TrainArguments>();
  auto* train = app.add_subcommand("train", "Train a small CLIP on rendered scenes (contrastive, from scratch)");
  train->add_option("--config", arguments->config,
                    "Training config JSON (keys: model, data, captions, optimizer, seed, ...); "
                    "missing keys take the defaults")
      ->check(CLI::ExistingFile);
  train->add_option("--out", arguments->output, "Run folder: checkpoints, log.csv and the final model/")
      ->required();
  train->add_flag("--resume", arguments->resume, "Continue the run in --out from its newest checkpoint");
  train->add_option("--steps", arguments->steps, "Optimiser steps (overrides the config)");
  train->add_option("--batch-size", arguments->batch_size, "Image-caption pairs per step (overrides the config)");
  train->add_option("--seed", arguments->seed, "Seed of weights and data (overrides the config)");
  train->add_option("--caption-order", arguments->caption_order,
                    "Object order in captions: largest-first, random, smallest-first or slot");
  train->add_option("--largest-first-probability", arguments->largest_first_probability,
                    "With largest-first: probability that the largest object is named first (0 to 1)");
  train->add_option("--bpe", arguments->bpe,
                    "CLIP BPE file (bpe_simple_vocab_16e6.txt.gz); default: learn a small vocabulary");
  train->callback([arguments] { run_train(*arguments); });
}

}  // namespace clipscope::cli
