// clipscope eval: parses options and calls experiments::run_experiments for the scene-set
// experiments and experiments::run_real_data_experiments for the COCO and attention ones.
#include <optional>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/experiments/embedding_cache.h"
#include "clipscope/experiments/coco_experiments.h"
#include "clipscope/experiments/main_job.h"
#include "clipscope/experiments/results.h"
#include "clipscope/experiments/run_experiments.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/io/atomic_file.h"
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
  std::string coco;
  std::string area = "mask";
  std::string synonyms;
  int64_t max_objects = 4;
  int64_t matching_distractors = 4;
  std::optional<int64_t> attention_block;
  int64_t attention_figures = 4;
  std::string cache;
  bool no_cache = false;
};

experiments::RealDataOptions real_data_options(const EvalArguments& arguments, const std::vector<std::string>& ids) {
  experiments::RealDataOptions options;
  options.experiments = ids;
  options.coco = arguments.coco;
  // attention reads the COCO annotations when there are some, else the scene set's label masks
  if (arguments.coco.empty()) options.scenes = arguments.dataset;
  options.synonyms = arguments.synonyms;
  options.area_source = experiments::parse_area_source(arguments.area);
  options.retrieval.max_objects = arguments.max_objects;
  options.retrieval.text_template = arguments.i2tor_template;
  options.distractors = arguments.matching_distractors;
  options.attention.block = arguments.attention_block;
  options.attention.figures = arguments.attention_figures;
  options.seed = arguments.seed;
  options.bootstrap_resamples = arguments.resamples;
  return options;
}

void run_eval(const EvalArguments& arguments) {
  // before any model is loaded or image encoded
  io::check_output_folder(arguments.output);
  const std::vector<std::string> ids = split_list(arguments.experiments);
  const experiments::ExperimentSplit split = experiments::split_experiment_ids(ids);
  experiments::ExperimentOptions options;
  options.experiments = split.scene;
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

  const experiments::RealDataOptions real_options = real_data_options(arguments, split.real_data);
  experiments::RealDataInputs inputs;
  if (!split.real_data.empty()) inputs = experiments::load_real_data_inputs(real_options);

  std::optional<experiments::SceneSet> scenes;
  if (!arguments.dataset.empty() && !split.scene.empty()) scenes = experiments::load_dataset_folder(arguments.dataset);

  auto encoder = model::CLIPEncoder::load(arguments.model);
  const experiments::RealDataResults results =
      experiments::run_split_request(*encoder, split, scenes, options, inputs, real_options, ids);
  experiments::write_real_data_results(results, arguments.output);
}

}  // namespace

void add_eval_commands(CLI::App& app) {
  auto arguments = std::make_shared<EvalArguments>();
  CLI::App* eval = app.add_subcommand("eval", "Measure object-order and object-size biases of one model");
  eval->add_option("--model", arguments->model, "Model checkpoint file or folder")->required();
  eval->add_option("--dataset", arguments->dataset,
                   "Scene folder with manifest.json or manifest.jsonl (scene image experiments; attention without "
                   "--coco needs label masks)");
  eval->add_option("--coco", arguments->coco,
                   "COCO folder with annotations/instances_*.json, captions_*.json and the images (coco-* experiments "
                   "and attention)");
  eval->add_option("--experiments", arguments->experiments,
                   "Comma-separated experiments: tor, ior, i2tor, matching, toc, ioc on scene sets; coco-tor, coco-ior, "
                   "coco-i2tor, coco-matching on --coco; attention on --coco or --dataset")
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
  eval->add_option("--i2tor-template", arguments->i2tor_template, "Text for each object name in I2TOR and coco-i2tor")
      ->capture_default_str();
  eval->add_option("--area", arguments->area, "COCO object size: 'mask' (segmentation pixels) or 'box' (box pixels)")
      ->capture_default_str();
  eval->add_option("--synonyms", arguments->synonyms,
                   "Phrase-to-category table (TSV) for COCO captions; default: data/coco_synonyms.tsv");
  eval->add_option("--max-objects", arguments->max_objects,
                   "Largest objects per caption or image with its own coco-* rows; larger ones count only when pooled")
      ->capture_default_str()
      ->check(CLI::Range(2, 64));
  eval->add_option("--matching-distractors", arguments->matching_distractors,
                   "Distractor captions per caption in coco-matching")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  eval->add_option("--attention-block", arguments->attention_block,
                   "ViT block (0-based) whose attention is reported besides the last block's");
  eval->add_option("--attention-figures", arguments->attention_figures,
                   "Attention heat-map overlays written for the first images")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  eval->add_option("--cache", arguments->cache,
                   "Folder of the embedding cache (default: $XDG_CACHE_HOME/clipscope or ~/.cache/clipscope)");
  eval->add_flag("--no-cache", arguments->no_cache, "Encode everything and read or write no embedding cache");
  eval->callback([arguments] { run_eval(*arguments); });
}

}  // namespace clipscope::cli
