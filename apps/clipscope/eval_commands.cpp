// clipscope eval: parses options and calls experiments::run_and_write.
#include <optional>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/experiments/embedding_cache.h"
#include "clipscope/experiments/main_job.h"
#include "clipscope/experiments/results.h"
#include "clipscope/experiments/run_experiments.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/experiments/scene_set.h"
#include "commands.h"

namespace clipscope::cli {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

struct EvalArguments {
  std::string model;
  std::string dataset;
  std::string experiments = "tor";
  std::string output;
  std::string compat = "paper";
  std::string distractors;
  uint64_t seed = 0;
  std::string vocabulary = "simco";
  std::string template_file;
  std::string object_counts = "2,3,4";
  int64_t max_captions = 2000;
  bool article = false;
  int resamples = 1000;
  std::string i2tor_template = "a photo of a {}";
  std::string cache;
  bool no_cache = false;
};

void run_eval(const EvalArguments& arguments) {
  experiments::ExperimentOptions options;
  options.experiments = split_list(arguments.experiments);
  experiments::validate_experiment_ids(options.experiments);
  options.compat = experiments::parse_compat(arguments.compat);
  if (!arguments.distractors.empty()) {
    options.matching.distractors = experiments::parse_distractor_style(arguments.distractors);
    options.matching_distractors_set = true;
  }
  options.seed = arguments.seed;
  options.vocabulary = arguments.vocabulary;
  options.bootstrap_resamples = arguments.resamples;
  options.i2tor_template = arguments.i2tor_template;
  options.tor.max_captions = arguments.max_captions;
  options.tor.article = arguments.article;
  options.tor.object_counts.clear();
  for (const std::string& count : split_list(arguments.object_counts)) {
    try {
      options.tor.object_counts.push_back(std::stoll(count));
    } catch (const std::exception&) {
      fail(ErrorKind::kInvalidArgument, "--object-counts entry \"{}\" is not an integer", count);
    }
  }
  if (!arguments.template_file.empty()) options.tor.templates = experiments::read_templates(arguments.template_file);
  experiments::load_vocabulary(options.vocabulary);
  if (!arguments.no_cache) {
    options.cache_folder = arguments.cache.empty() ? experiments::default_cache_folder() : std::filesystem::path(arguments.cache);
  }

  std::optional<experiments::SceneSet> scenes;
  if (!arguments.dataset.empty()) scenes = experiments::load_dataset_folder(arguments.dataset);

  auto encoder = model::CLIPEncoder::load(arguments.model);
  experiments::Results results = experiments::run_experiments(*encoder, scenes, options);
  experiments::write_results(results, arguments.output);
}

}  // namespace

void add_eval_commands(CLI::App& app) {
  auto arguments = std::make_shared<EvalArguments>();
  CLI::App* eval = app.add_subcommand("eval", "Measure object-order and object-size biases of one model");
  eval->add_option("--model", arguments->model, "Model checkpoint file or folder")->required();
  eval->add_option("--dataset", arguments->dataset, "Scene folder with manifest.json (image experiments)");
  eval->add_option("--experiments", arguments->experiments,
                   "Comma-separated experiments: tor, ior, i2tor, matching, toc, ioc")
      ->capture_default_str();
  eval->add_option("--out", arguments->output, "Output folder for results.json and the per-sample CSV files")
      ->required();
  eval->add_option("--compat", arguments->compat,
                   "paper (exact membership, best-first ranking) or reference (the authors' scripts: substring "
                   "membership, worst-first ranking, reference distractors)")
      ->capture_default_str();
  eval->add_option("--distractors", arguments->distractors, "Matching distractors: paper or reference (default: --compat)");
  eval->add_option("--seed", arguments->seed, "Seed for caption sampling, splits and bootstrap")->capture_default_str();
  eval->add_option("--vocab", arguments->vocabulary, "simco, coco80, coco90 or a file with one object name per line")
      ->capture_default_str();
  eval->add_option("--template", arguments->template_file,
                   "File of caption templates, one per line, with {objects} or {1}..{n} slots");
  eval->add_option("--object-counts", arguments->object_counts, "Comma-separated objects per TOR caption")
      ->capture_default_str();
  eval->add_option("--max-captions", arguments->max_captions, "Seeded sample above this many captions per count")
      ->capture_default_str();
  eval->add_flag("--article", arguments->article, "Write \"a cube\" instead of \"cube\" in TOR captions");
  eval->add_option("--bootstrap", arguments->resamples, "Bootstrap resamples per confidence interval")
      ->capture_default_str();
  eval->add_option("--i2tor-template", arguments->i2tor_template, "Text for each object name in I2TOR")
      ->capture_default_str();
  eval->add_option("--cache", arguments->cache,
                   "Folder of the embedding cache (default: $XDG_CACHE_HOME/clipscope or ~/.cache/clipscope)");
  eval->add_flag("--no-cache", arguments->no_cache, "Encode everything and read or write no embedding cache");
  eval->callback([arguments] { run_eval(*arguments); });
}

}  // namespace clipscope::cli
