// Pages for a checkpoint series (`clipscope progression`): the headline bias rates of every
// checkpoint against samples seen, as Markdown, CSV and a self-contained HTML page with line charts.
// experiments/progression.h produces the progression.json document these read.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace clipscope::report {

/// Returns progression.md: a table with one row per checkpoint (name, samples seen) and one column
/// per headline rate (percent with interval), the chance row, and the first-versus-last comparisons.
/// Throws Error(kInvalidArgument) if the document lacks "checkpoints" or "measures".
std::string render_progression_markdown(const nlohmann::json& progression);

/// Returns progression.html: the same tables plus line charts of the text-side, image-side and
/// matching rates against samples seen (or checkpoint order when samples are unknown).
std::string render_progression_html(const nlohmann::json& progression);

/// Returns progression.csv with columns checkpoint, samples_seen, measure, value, ci_low, ci_high,
/// chance, n: one row per checkpoint and headline rate.
std::string progression_csv(const nlohmann::json& progression);

}  // namespace clipscope::report
