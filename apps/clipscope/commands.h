// Subcommand groups of the clipscope CLI. Each *_commands.cpp registers its subcommands on the
// app; callbacks only parse options and call the library. Errors propagate to main().
#pragma once

#include <CLI/CLI.hpp>

namespace clipscope::cli {

/// model info, tokenize, preprocess, embed.
void add_model_commands(CLI::App& app);
/// scenes render, scenes import, scenes preview.
void add_scenes_commands(CLI::App& app);
/// eval, report, run.
void add_eval_commands(CLI::App& app);
/// train, progression, origin.
void add_train_commands(CLI::App& app);
/// captions order-vs-size and the other real-caption analyses.
void add_captions_commands(CLI::App& app);
/// report (Markdown and HTML from results folders) and run (render, evaluate and report in one step).
void add_report_commands(CLI::App& app);

}  // namespace clipscope::cli
