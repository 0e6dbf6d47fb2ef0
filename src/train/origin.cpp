#include "clipscope/train/origin.h"

#include <fmt/format.h>

#include "clipscope/error.h"
#include "clipscope/experiments/bias_measures.h"
#include "clipscope/experiments/main_job.h"
#include "clipscope/experiments/run_experiments.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/log.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/report/report.h"

namespace clipscope::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<double> number_at(const json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_number()) return std::nullopt;
  return object.at(key).get<double>();
}

std::string percent(std::optional<double> value) { return value ? fmt::format("{:.1f}", *value * 100) : "–"; }

std::string rate_cell(const json& record) {
  return fmt::format("{} [{}, {}]", percent(number_at(record, "value")), percent(number_at(record, "ci_low")),
                     percent(number_at(record, "ci_high")));
}

}  // namespace

std::vector<std::pair<std::string, TrainConfig>> origin_arms(const TrainConfig& base) {
  TrainConfig largest_first = base;
  largest_first.captions.order = CaptionOrder::kLargestFirst;
  TrainConfig random = base;
  random.captions.order = CaptionOrder::kRandom;
  return {{"largest-first", largest_first}, {"random", random}};
}

json run_origin(const OriginOptions& options) {
  experiments::validate_experiment_ids(options.experiments);
  const auto arms = origin_arms(options.base);

  // both runs first: they take most of the time, and a failed one should stop before evaluation
  std::vector<TrainSummary> summaries;
  for (const auto& [name, config] : arms) {
    log::info("origin: training the {} arm into \"{}\"", name, (options.output / name).string());
    summaries.push_back(train_clip(config, options.output / name, options.resume));
  }

  // the same evaluation inputs for both models
  const fs::path dataset = options.dataset.empty()
                               ? experiments::cached_simco_set(options.output / "cache", options.scene_count,
                                                               options.scene_size, options.eval_seed)
                               : options.dataset;
  const std::optional<experiments::SceneSet> scenes = experiments::load_dataset_folder(dataset);
  experiments::ExperimentOptions experiment_options;
  experiment_options.experiments = options.experiments;
  experiment_options.seed = options.eval_seed;
  experiment_options.tor = options.tor;

  std::vector<experiments::Results> results;
  std::vector<fs::path> result_folders;
  json arm_documents = json::array();
  for (size_t i = 0; i < arms.size(); ++i) {
    const auto& [name, config] = arms[i];
    std::unique_ptr<model::CLIPEncoder> encoder = model::CLIPEncoder::load(summaries[i].model_folder);
    experiments::Results arm_results = experiments::run_experiments(*encoder, scenes, experiment_options);
    arm_results.document["model"]["name"] = name;
    const fs::path folder = options.output / "eval" / name;
    experiments::write_results(arm_results, folder);
    result_folders.push_back(folder);

    json measures = json::object();
    for (const auto& spec : experiments::bias_measure_specs()) {
      if (const json* record = experiments::find_bias_record(arm_results.document, spec)) measures[spec.id] = *record;
    }
    json held_out = json::object();
    if (!summaries[i].evaluations.empty()) {
      const EvalRecord& last = summaries[i].evaluations.back();
      held_out = {{"step", last.step},
                  {"zero_shot_accuracy", last.zero_shot_accuracy},
                  {"retrieval_accuracy", last.retrieval_accuracy}};
    }
    arm_documents.push_back({{"name", name},
                             {"captions", to_json(config.captions)},
                             {"run_folder", (options.output / name).string()},
                             {"results", fs::relative(folder, options.output).generic_string()},
                             {"train_seconds", summaries[i].seconds},
                             {"held_out", held_out},
                             {"measures", measures}});
    results.push_back(std::move(arm_results));
  }

  // random minus largest-first, paired on the shared samples
  experiments::MetricCollector collector(stats::BootstrapOptions{1000, 0.95, options.eval_seed});
  experiments::compare_bias(results[0], arms[0].first, results[1], arms[1].first, collector);
  json measures = json::array();
  for (const auto& spec : experiments::bias_measure_specs()) {
    measures.push_back({{"id", spec.id}, {"title", spec.title}});
  }
  json base_config = to_json(options.base);
  base_config["captions"].erase("order");
  const json origin = {{"schema_version", 1},
                       {"base_config", base_config},
                       {"dataset", results[0].document.value("dataset", json())},
                       {"experiments", options.experiments},
                       {"measures", measures},
                       {"arms", arm_documents},
                       {"comparisons", collector.comparisons()}};

  const std::string markdown = render_origin_markdown(origin);
  report::write_report(result_folders, options.output);
  io::write_file_atomic(options.output / "origin.md", markdown);
  io::write_file_atomic(options.output / "origin.json", origin.dump(2) + "\n");
  return origin;
}

std::string render_origin_markdown(const json& origin) {
  if (!origin.contains("arms") || origin.at("arms").size() != 2) {
    fail(ErrorKind::kInvalidArgument, "an origin document needs exactly two \"arms\"");
  }
  const json& a = origin.at("arms").at(0);
  const json& b = origin.at("arms").at(1);
  std::string text = "# clipscope origin\n\n";
  text += "Two models trained with the same seed, scenes and budget; only the order of objects in the training "
          "captions differs. Rates in % with 95% bootstrap intervals; the difference is "
          + b.value("name", std::string("b")) + " minus " + a.value("name", std::string("a")) +
          ", paired on the same evaluation samples, with the exact McNemar test.\n\n";

  text += "| arm | caption order | held-out zero-shot | held-out retrieval | training time |\n";
  text += "| --- | --- | ---: | ---: | ---: |\n";
  for (const json& arm : origin.at("arms")) {
    const json captions = arm.value("captions", json::object());
    std::string order = captions.value("order", "?");
    if (order == "largest-first") {
      order += fmt::format(" (p = {:g})", captions.value("largest_first_probability", 0.0));
    }
    const json held_out = arm.value("held_out", json::object());
    text += fmt::format("| {} | {} | {}% | {}% | {:.0f} s |\n", arm.value("name", "?"), order,
                        percent(number_at(held_out, "zero_shot_accuracy")),
                        percent(number_at(held_out, "retrieval_accuracy")),
                        number_at(arm, "train_seconds").value_or(0));
  }

  text += fmt::format("\n| rate | chance | {} | {} | difference [95% CI] | p |\n", a.value("name", "a"),
                      b.value("name", "b"));
  text += "| --- | ---: | ---: | ---: | ---: | ---: |\n";
  for (const json& measure : origin.at("measures")) {
    const std::string id = measure.value("id", "");
    const json record_a = a.value("measures", json::object()).value(id, json());
    const json record_b = b.value("measures", json::object()).value(id, json());
    if (record_a.is_null() && record_b.is_null()) continue;
    std::string difference = "–";
    std::string p_value = "–";
    for (const json& comparison : origin.value("comparisons", json::array())) {
      if (comparison.value("metric", "") != id) continue;
      difference = fmt::format("{:+.1f} [{:+.1f}, {:+.1f}]", number_at(comparison, "difference").value_or(0) * 100,
                               number_at(comparison, "ci_low").value_or(0) * 100,
                               number_at(comparison, "ci_high").value_or(0) * 100);
      p_value = fmt::format("{:.3g}", number_at(comparison, "p_value").value_or(1));
    }
    std::optional<double> chance = number_at(record_a, "chance");
    if (!chance) chance = number_at(record_b, "chance");
    text += fmt::format("| {} | {} | {} | {} | {} | {} |\n", measure.value("title", id), percent(chance),
                        rate_cell(record_a), rate_cell(record_b), difference, p_value);
  }
  return text;
}

}  // namespace clipscope::train
