// clipscope train, origin and progression: parse options and call train::train_clip,
// train::run_origin and experiments::run_progression.
#include <cstdio>
#include <limits>

#include "clipscope/error.h"
#include "clipscope/experiments/progression.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/log.h"
#include "clipscope/train/origin.h"
#include "clipscope/train/trainer.h"
#include "commands.h"

namespace clipscope::cli {
namespace {

// Marks an integer option the user did not give, so that any given value reaches the config checks.
constexpr int64_t kUnset = std::numeric_limits<int64_t>::min();

// Options that build a training configuration: a config file plus command-line overrides.
struct ConfigArguments {
  std::string config;
  int64_t steps = kUnset;
  int64_t batch_size = kUnset;
  int64_t seed = kUnset;
  std::string caption_order;
  double largest_first_probability = -1;
  std::string bpe;
};

struct TrainArguments {
  ConfigArguments config;
  std::string output;
  bool resume = false;
};

struct OriginArguments {
  ConfigArguments config;
  std::string output;
  bool resume = false;
  std::string dataset;
  int scene_count = 120;
  int scene_size = 224;
  std::vector<std::string> experiments{"tor", "ior", "i2tor", "matching"};
  int64_t eval_seed = 0;
};

struct ProgressionArguments {
  std::string checkpoints;
  std::string samples_file;
  std::string dataset;
  std::string output = "clipscope-progression";
  std::vector<std::string> experiments{"tor", "ior", "matching"};
  int scene_count = 60;
  int scene_size = 224;
  int64_t seed = 0;
};

train::TrainConfig read_config(const ConfigArguments& arguments) {
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
  return train::train_config_from_json(json);
}

void add_config_options(CLI::App* command, ConfigArguments& arguments, bool with_caption_order) {
  command
      ->add_option("--config", arguments.config,
                   "Training config JSON (keys: model, data, captions, optimizer, seed, ...); "
                   "missing keys take the defaults")
      ->check(CLI::ExistingFile);
  command->add_option("--steps", arguments.steps, "Optimiser steps (overrides the config)");
  command->add_option("--batch-size", arguments.batch_size, "Image-caption pairs per step (overrides the config)");
  command->add_option("--seed", arguments.seed, "Seed of weights and data (overrides the config)");
  if (with_caption_order) {
    command->add_option("--caption-order", arguments.caption_order,
                        "Object order in captions: largest-first, random, smallest-first or slot");
  }
  command->add_option("--largest-first-probability", arguments.largest_first_probability,
                      "With largest-first: probability that the largest object is named first (0 to 1)");
  command->add_option("--bpe", arguments.bpe,
                      "CLIP BPE file (bpe_simple_vocab_16e6.txt.gz); default: learn a small vocabulary");
}

double chance_of(const train::TrainConfig& config) {
  return 1.0 / static_cast<double>(config.data.shapes.empty() ? 18 : config.data.shapes.size());
}

void run_train(const TrainArguments& arguments) {
  const train::TrainConfig config = read_config(arguments.config);
  train::TrainSummary summary = train::train_clip(config, arguments.output, arguments.resume);
  std::printf("model: %s\nsteps: %lld in %.1f s\n", summary.model_folder.string().c_str(),
              static_cast<long long>(summary.steps), summary.seconds);
  if (!summary.evaluations.empty()) {
    const auto& last = summary.evaluations.back();
    std::printf("held-out zero-shot accuracy: %.3f (chance %.3f)\nheld-out retrieval top-1: %.3f (chance %.3f)\n",
                last.zero_shot_accuracy, chance_of(config), last.retrieval_accuracy, 1.0 / 64);
  }
}

void run_origin(const OriginArguments& arguments) {
  if (arguments.eval_seed < 0) {
    fail(ErrorKind::kInvalidArgument, "--eval-seed must be 0 or more, got {}", arguments.eval_seed);
  }
  train::OriginOptions options;
  options.base = read_config(arguments.config);
  options.output = arguments.output;
  options.resume = arguments.resume;
  options.dataset = arguments.dataset;
  options.scene_count = arguments.scene_count;
  options.scene_size = arguments.scene_size;
  options.experiments = arguments.experiments;
  options.eval_seed = static_cast<uint64_t>(arguments.eval_seed);
  const nlohmann::json origin = train::run_origin(options);
  std::printf("%s\norigin.md, origin.json and report.html are in %s\n", train::render_origin_markdown(origin).c_str(),
              arguments.output.c_str());
}

void run_progression(const ProgressionArguments& arguments) {
  if (arguments.seed < 0) fail(ErrorKind::kInvalidArgument, "--seed must be 0 or more, got {}", arguments.seed);
  experiments::ProgressionOptions options;
  options.checkpoints = arguments.checkpoints;
  options.samples_file = arguments.samples_file;
  options.dataset = arguments.dataset;
  options.output = arguments.output;
  options.experiments = arguments.experiments;
  options.scene_count = arguments.scene_count;
  options.scene_size = arguments.scene_size;
  options.seed = static_cast<uint64_t>(arguments.seed);
  const nlohmann::json progression = experiments::run_progression(options);
  std::printf("%s\nprogression.html, progression.md, progression.csv and report.html are in %s\n",
              experiments::format_progression_table(progression).c_str(), arguments.output.c_str());
}

void add_scene_set_options(CLI::App* command, std::string& dataset, int& scene_count, int& scene_size) {
  command->add_option("--dataset", dataset,
                      "Scene set folder to evaluate on (clipscope scenes render); default: a cached SimCO set");
  command->add_option("--scenes", scene_count, "Images of the cached SimCO set")->check(CLI::Range(1, 100000));
  command->add_option("--scene-size", scene_size, "Side of the cached SimCO images, in pixels")
      ->check(CLI::Range(64, 2048));
}

}  // namespace

void add_train_commands(CLI::App& app) {
  auto train_arguments = std::make_shared<TrainArguments>();
  auto* train = app.add_subcommand("train", "Train a small CLIP on rendered scenes (contrastive, from scratch)");
  add_config_options(train, train_arguments->config, true);
  train->add_option("--out", train_arguments->output, "Run folder: checkpoints, log.csv and the final model/")
      ->required();
  train->add_flag("--resume", train_arguments->resume, "Continue the run in --out from its newest checkpoint");
  train->callback([train_arguments] { run_train(*train_arguments); });

  auto origin_arguments = std::make_shared<OriginArguments>();
  auto* origin = app.add_subcommand(
      "origin", "Train with largest-first and with random-order captions (same seed, scenes and budget), then "
                "measure and compare first-object and large-object bias");
  add_config_options(origin, origin_arguments->config, false);
  origin->add_option("--out", origin_arguments->output, "Folder for both runs, their results and the report")
      ->required();
  origin->add_flag("--resume", origin_arguments->resume, "Continue runs already in --out");
  add_scene_set_options(origin, origin_arguments->dataset, origin_arguments->scene_count, origin_arguments->scene_size);
  origin->add_option("--experiments", origin_arguments->experiments, "Experiments run on both models")
      ->delimiter(',');
  origin->add_option("--eval-seed", origin_arguments->eval_seed,
                     "Seed of the evaluation set, caption sampling and bootstrap");
  origin->callback([origin_arguments] { run_origin(*origin_arguments); });

  auto progression_arguments = std::make_shared<ProgressionArguments>();
  auto* progression = app.add_subcommand(
      "progression", "Run TOR, IOR and matching on every checkpoint of a series and chart bias against samples seen");
  progression
      ->add_option("--checkpoints", progression_arguments->checkpoints,
                   "Folder of checkpoints: a clipscope train run, or model folders or checkpoint files")
      ->required();
  progression->add_option("--samples-seen", progression_arguments->samples_file,
                          "CSV with header checkpoint,samples_seen giving the training samples of each checkpoint")
      ->check(CLI::ExistingFile);
  progression->add_option("--out", progression_arguments->output, "Output folder");
  add_scene_set_options(progression, progression_arguments->dataset, progression_arguments->scene_count,
                        progression_arguments->scene_size);
  progression->add_option("--experiments", progression_arguments->experiments, "Experiments run on each checkpoint")
      ->delimiter(',');
  progression->add_option("--seed", progression_arguments->seed, "Seed of rendering, caption sampling and bootstrap");
  progression->callback([progression_arguments] { run_progression(*progression_arguments); });
}

}  // namespace clipscope::cli
