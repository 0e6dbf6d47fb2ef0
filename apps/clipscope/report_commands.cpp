// clipscope report and clipscope run: parse options and call report::write_report and
// experiments::run_main_job.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "clipscope/experiments/embedding_cache.h"
#include "clipscope/experiments/main_job.h"
#include "clipscope/report/report.h"
#include "commands.h"

namespace clipscope::cli {
namespace {

struct ReportArguments {
  std::vector<std::string> folders;
  std::string output;
};

void run_report(const ReportArguments& arguments) {
  std::vector<std::filesystem::path> folders(arguments.folders.begin(), arguments.folders.end());
  report::write_report(folders, arguments.output);
}

struct RunArguments {
  std::string model;
  std::string dataset;
  std::string experiments = "tor,ior,i2tor,matching";
  bool probes = false;
  std::string output = "clipscope-out";
  int scene_count = 60;
  int scene_size = 224;
  uint64_t seed = 0;
  std::string cache;
  bool no_cache = false;
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

void run_job(const RunArguments& arguments) {
  experiments::MainJobOptions options;
  options.model = arguments.model;
  options.dataset = arguments.dataset;
  options.experiments = split_commas(arguments.experiments);
  options.probes = arguments.probes;
  options.output = arguments.output;
  options.scene_count = arguments.scene_count;
  options.scene_size = arguments.scene_size;
  options.seed = arguments.seed;
  if (!arguments.no_cache) {
    options.cache_folder = arguments.cache.empty() ? experiments::default_cache_folder() : std::filesystem::path(arguments.cache);
  }
  const nlohmann::json results = experiments::run_main_job(options);
  std::fputs(experiments::format_main_job_summary(results).c_str(), stdout);
  std::printf("\nresults  %s\nreport   %s\n", (options.output / "results" / "results.json").c_str(),
              (options.output / "report.html").c_str());
}

}  // namespace

void add_report_commands(CLI::App& app) {
  auto arguments = std::make_shared<ReportArguments>();
  CLI::App* command = app.add_subcommand(
      "report", "Write report.md and a self-contained report.html with charts from one or more results folders");
  command
      ->add_option("folders", arguments->folders,
                   "Folders with results.json (clipscope eval or run) or order_vs_size.json (captions order-vs-size); "
                   "one row and bar per folder")
      ->required();
  command->add_option("--out", arguments->output, "Output folder for report.md and report.html")->required();
  command->callback([arguments] { run_report(*arguments); });

  auto run_arguments = std::make_shared<RunArguments>();
  CLI::App* run = app.add_subcommand(
      "run", "Render a small SimCO set (cached), evaluate the built-in model and write results and the report");
  run->add_option("--model", run_arguments->model, "Checkpoint file or folder (default: models/clipscope-simco-tiny)");
  run->add_option("--dataset", run_arguments->dataset, "Scene set folder (default: a cached SimCO set under --out)");
  run->add_option("--experiments", run_arguments->experiments,
                  "Comma-separated experiments: tor, ior, i2tor, matching, toc, ioc")
      ->capture_default_str();
  run->add_flag("--probes", run_arguments->probes, "Also train and test the toc and ioc linear probes");
  run->add_option("--out", run_arguments->output, "Output folder for results/, report.md, report.html and cache/")
      ->capture_default_str();
  run->add_option("--scenes", run_arguments->scene_count, "Images in the cached SimCO set")
      ->capture_default_str()
      ->check(CLI::Range(4, 100000));
  run->add_option("--scene-size", run_arguments->scene_size, "Width and height of the cached SimCO images, in pixels")
      ->capture_default_str()
      ->check(CLI::Range(48, 4096));
  run->add_option("--seed", run_arguments->seed, "Seed of rendering, sampling and bootstrap")->capture_default_str();
  run->add_option("--cache", run_arguments->cache,
                  "Folder of the embedding cache (default: $XDG_CACHE_HOME/clipscope or ~/.cache/clipscope)");
  run->add_flag("--no-cache", run_arguments->no_cache, "Encode everything and read or write no embedding cache");
  run->callback([run_arguments] { run_job(*run_arguments); });
}

}  // namespace clipscope::cli
