// `clipscope captions ...`: analyses of real captions against COCO annotations or detector output.
#include <iostream>

#include "clipscope/experiments/mentions.h"
#include "clipscope/experiments/order_vs_size.h"
#include "clipscope/io/coco.h"
#include "clipscope/log.h"
#include "commands.h"

namespace clipscope::cli {

namespace {

struct OrderVsSizeArguments {
  std::string coco;
  std::string detections;
  std::string captions;
  std::string synonyms;
  std::string area = "mask";
  std::string out;
  int min_objects = 2;
  int max_objects = 8;
  int resamples = 1000;
  double level = 0.95;
  uint64_t seed = 0;
};

void run_order_vs_size(const OrderVsSizeArguments& arguments) {
  std::filesystem::path synonyms_path =
      arguments.synonyms.empty() ? experiments::default_synonyms_path() : std::filesystem::path(arguments.synonyms);
  std::vector<experiments::Synonym> synonyms = experiments::read_synonyms(synonyms_path);
  experiments::AreaSource area_source = experiments::parse_area_source(arguments.area);

  io::CocoDataset dataset;
  std::vector<std::string> names;
  if (!arguments.coco.empty()) {
    dataset = io::read_coco_folder(arguments.coco, /*require_captions=*/true);
    for (const auto& category : dataset.categories) names.push_back(category.name);
  } else {
    // Detector labels are mapped through the synonym table's categories; any other label becomes its own category.
    for (const auto& [phrase, category] : synonyms) names.push_back(category);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    experiments::MentionMatcher label_matcher(names, synonyms);
    dataset = experiments::read_lang_sam_detections(arguments.detections, label_matcher);
    io::read_coco_captions(arguments.captions, dataset);
    names.clear();
    for (const auto& category : dataset.categories) names.push_back(category.name);
  }
  experiments::MentionMatcher matcher(names, synonyms);

  experiments::OrderVsSizeOptions options;
  options.min_objects = arguments.min_objects;
  options.max_objects = arguments.max_objects;
  options.area_source = area_source;
  options.bootstrap.resamples = arguments.resamples;
  options.bootstrap.level = arguments.level;
  options.bootstrap.seed = arguments.seed;
  experiments::OrderVsSizeResult result =
      experiments::order_vs_size(experiments::collect_caption_objects(dataset, matcher, area_source), options);
  experiments::write_order_vs_size(result, arguments.out);

  std::cout << experiments::order_vs_size_csv(result);
  log::info("order-vs-size: {} of {} captions mention {}..{} annotated objects; wrote {}", result.captions_used,
            result.captions_total, options.min_objects, options.max_objects, arguments.out);
}

}  // namespace

void add_captions_commands(CLI::App& app) {
  CLI::App* captions = app.add_subcommand("captions", "Analyses of real captions with annotated objects");
  captions->require_subcommand(1);

  auto arguments = std::make_shared<OrderVsSizeArguments>();
  CLI::App* order = captions->add_subcommand(
      "order-vs-size", "How often the largest mentioned object comes first, second, ... in real captions");
  auto* coco = order->add_option("--coco", arguments->coco,
                                 "COCO folder with annotations/instances_*.json and annotations/captions_*.json");
  auto* detections = order->add_option("--detections", arguments->detections,
                                       "Detector output in the Lang-SAM layout (docs/captions.md), instead of --coco");
  auto* captions_file =
      order->add_option("--captions", arguments->captions, "COCO captions JSON for --detections")->needs(detections);
  detections->needs(captions_file);
  coco->excludes(detections);
  order->add_option("--area", arguments->area, "Object size: 'mask' (segmentation pixels) or 'box' (box area)")
      ->capture_default_str();
  order->add_option("--synonyms", arguments->synonyms,
                    "Phrase-to-category table (TSV); default: data/coco_synonyms.tsv of the source tree");
  order->add_option("--min-objects", arguments->min_objects, "Smallest number of objects per caption reported")
      ->capture_default_str()
      ->check(CLI::Range(2, 64));
  order->add_option("--max-objects", arguments->max_objects, "Largest number of objects per caption reported")
      ->capture_default_str()
      ->check(CLI::Range(2, 64));
  order->add_option("--bootstrap", arguments->resamples, "Bootstrap resamples per interval")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  order->add_option("--confidence", arguments->level, "Interval coverage in (0, 1)")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.999));
  order->add_option("--seed", arguments->seed, "Bootstrap seed")->capture_default_str();
  order->add_option("--out", arguments->out, "Output folder for order_vs_size.{csv,json,svg}")->required();
  order->callback([arguments, coco, detections] {
    if (coco->count() == 0 && detections->count() == 0) {
      throw CLI::RequiredError("--coco or --detections (with --captions)");
    }
    run_order_vs_size(*arguments);
  });
}

}  // namespace clipscope::cli
