#include "clipscope/report/progression_page.h"

#include <optional>
#include <vector>

#include <fmt/format.h>

#include "chart_style.h"
#include "clipscope/error.h"
#include "clipscope/report/bar_chart.h"
#include "clipscope/report/line_chart.h"

namespace clipscope::report {
namespace {

using nlohmann::json;

std::optional<double> number_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_number()) return std::nullopt;
  return object.at(key).get<double>();
}

std::string percent(std::optional<double> value) {
  return value ? fmt::format("{:.1f}", *value * 100) : "–";
}

// Headline measures present in at least one checkpoint, as (id, title).
std::vector<std::pair<std::string, std::string>> present_measures(const json& progression) {
  if (!progression.contains("checkpoints") || !progression.contains("measures")) {
    fail(ErrorKind::kInvalidArgument, "a progression document needs \"checkpoints\" and \"measures\"");
  }
  std::vector<std::pair<std::string, std::string>> measures;
  for (const json& measure : progression.at("measures")) {
    const std::string id = measure.value("id", "");
    for (const json& row : progression.at("checkpoints")) {
      if (row.value("measures", json::object()).contains(id)) {
        measures.emplace_back(id, measure.value("title", id));
        break;
      }
    }
  }
  return measures;
}

std::string samples_text(const json& row) {
  std::optional<double> samples = number_at(row, "samples_seen");
  return samples ? format_count(*samples) : "?";
}

// The x position of a checkpoint: samples seen when every checkpoint has it, else its index.
double x_of(const json& progression, size_t index) {
  for (const json& row : progression.at("checkpoints")) {
    if (!number_at(row, "samples_seen")) return static_cast<double>(index + 1);
  }
  return *number_at(progression.at("checkpoints").at(index), "samples_seen");
}

bool has_samples(const json& progression) {
  for (const json& row : progression.at("checkpoints")) {
    if (!number_at(row, "samples_seen")) return false;
  }
  return true;
}

std::string comparison_line(const json& comparison) {
  return fmt::format("{}: {} {:.1f}% → {} {:.1f}%, difference {:+.1f} points [{:+.1f}, {:+.1f}], exact McNemar p = {:.3g} "
                     "(n = {})",
                     comparison.value("metric", "?"), comparison.value("a", "?"),
                     number_at(comparison, "value_a").value_or(0) * 100, comparison.value("b", "?"),
                     number_at(comparison, "value_b").value_or(0) * 100,
                     number_at(comparison, "difference").value_or(0) * 100,
                     number_at(comparison, "ci_low").value_or(0) * 100,
                     number_at(comparison, "ci_high").value_or(0) * 100, number_at(comparison, "p_value").value_or(1),
                     comparison.value("n", 0));
}

LineChart chart_of(const json& progression, const std::string& title, const std::vector<std::string>& ids) {
  LineChart chart;
  chart.title = title;
  chart.x_label = has_samples(progression) ? "samples seen" : "checkpoint (training order)";
  for (const json& measure : progression.at("measures")) {
    const std::string id = measure.value("id", "");
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    LineSeries series;
    series.name = measure.value("title", id);
    const json& rows = progression.at("checkpoints");
    for (size_t i = 0; i < rows.size(); ++i) {
      const json record = rows[i].value("measures", json::object()).value(id, json());
      std::optional<double> value = number_at(record, "value");
      if (!value) continue;
      series.points.push_back({x_of(progression, i), *value, number_at(record, "ci_low"), number_at(record, "ci_high")});
      if (!series.chance) series.chance = number_at(record, "chance");
    }
    if (!series.points.empty()) chart.series.push_back(std::move(series));
  }
  return chart;
}

}  // namespace

std::string render_progression_markdown(const json& progression) {
  const auto measures = present_measures(progression);
  std::string text = "# clipscope progression\n\n";
  text += fmt::format("Checkpoints in `{}`, each evaluated on the same inputs. Rates in % with 95% bootstrap "
                      "intervals.\n\n",
                      progression.value("checkpoint_folder", "?"));
  text += "| checkpoint | samples seen |";
  for (const auto& [id, title] : measures) text += " " + title + " |";
  text += "\n| --- | ---: |";
  for (size_t i = 0; i < measures.size(); ++i) text += " ---: |";
  text += "\n";

  std::vector<std::optional<double>> chance(measures.size());
  for (const json& row : progression.at("checkpoints")) {
    text += fmt::format("| {} | {} |", row.value("name", "?"), samples_text(row));
    for (size_t m = 0; m < measures.size(); ++m) {
      const json record = row.value("measures", json::object()).value(measures[m].first, json());
      if (!chance[m]) chance[m] = number_at(record, "chance");
      text += fmt::format(" {} [{}, {}] |", percent(number_at(record, "value")), percent(number_at(record, "ci_low")),
                          percent(number_at(record, "ci_high")));
    }
    text += "\n";
  }
  text += "| *chance* | |";
  for (const auto& level : chance) text += " *" + percent(level) + "* |";
  text += "\n";

  const json comparisons = progression.value("comparisons", json::array());
  if (!comparisons.empty()) {
    text += "\n## First checkpoint against the last\n\n";
    for (const json& comparison : comparisons) text += "- " + comparison_line(comparison) + "\n";
  }
  return text;
}

std::string render_progression_html(const json& progression) {
  const auto measures = present_measures(progression);
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  html += "<title>clipscope progression</title>\n<style>" + std::string(detail::kReportStyle) + "</style>\n</head>\n<body>\n";
  html += "<header class=\"top\"><h1>clipscope progression</h1><p>" +
          escape_xml(progression.value("checkpoint_folder", "?")) +
          " · rates in % with 95% confidence intervals; dashed lines mark chance</p></header>\n<main>\n";

  // charts
  const std::vector<std::tuple<std::string, std::vector<std::string>>> charts = {
      {"Text encoder: first-named object wins", {"tor_first_n2", "tor_first_n3"}},
      {"Image encoder: large object wins", {"ior_large", "ior_small", "i2tor_large"}},
      {"Image-text matching", {"matching_large_first", "matching_large_last"}},
  };
  for (const auto& [title, ids] : charts) {
    LineChart chart = chart_of(progression, title, ids);
    if (chart.series.empty()) continue;
    html += "<section class=\"card\">\n<h3>" + escape_xml(title) + "</h3>\n" + render_line_chart(chart) + "</section>\n";
  }

  // table
  html += "<section class=\"card\">\n<h3>Rates per checkpoint</h3>\n<div class=\"scroll\"><table>\n<thead><tr>"
          "<th>checkpoint</th><th>samples seen</th>";
  for (const auto& [id, title] : measures) html += "<th>" + escape_xml(title) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const json& row : progression.at("checkpoints")) {
    html += "<tr><td>" + escape_xml(row.value("name", "?")) + "</td><td>" + escape_xml(samples_text(row)) + "</td>";
    for (const auto& [id, title] : measures) {
      const json record = row.value("measures", json::object()).value(id, json());
      html += fmt::format("<td class=\"rate\">{} <span class=\"ci\">[{}, {}]</span></td>",
                          percent(number_at(record, "value")), percent(number_at(record, "ci_low")),
                          percent(number_at(record, "ci_high")));
    }
    html += "</tr>\n";
  }
  html += "</tbody></table></div>\n</section>\n";

  const json comparisons = progression.value("comparisons", json::array());
  if (!comparisons.empty()) {
    html += "<section class=\"card\">\n<h3>First checkpoint against the last</h3>\n<ul>\n";
    for (const json& comparison : comparisons) html += "<li>" + escape_xml(comparison_line(comparison)) + "</li>\n";
    html += "</ul>\n</section>\n";
  }
  html += "<footer>Per-checkpoint details: report.html; numbers: progression.json and progression.csv.</footer>\n";
  html += "</main>\n</body>\n</html>\n";
  return html;
}

std::string progression_csv(const json& progression) {
  const auto measures = present_measures(progression);
  auto field = [](std::optional<double> value) { return value ? fmt::format("{:.6g}", *value) : std::string(); };
  std::string text = "checkpoint,samples_seen,measure,value,ci_low,ci_high,chance,n\n";
  for (const json& row : progression.at("checkpoints")) {
    for (const auto& [id, title] : measures) {
      const json record = row.value("measures", json::object()).value(id, json());
      if (record.is_null()) continue;
      std::string name = row.value("name", "?");
      if (name.find_first_of(",\"\n") != std::string::npos) {
        std::string quoted = "\"";
        for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        name = quoted + "\"";
      }
      text += fmt::format("{},{},{},{},{},{},{},{}\n", name, field(number_at(row, "samples_seen")), id,
                          field(number_at(record, "value")), field(number_at(record, "ci_low")),
                          field(number_at(record, "ci_high")), field(number_at(record, "chance")),
                          field(number_at(record, "n")));
    }
  }
  return text;
}

}  // namespace clipscope::report
