// clipscope report: parses options and calls report::write_report.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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
}

}  // namespace clipscope::cli
