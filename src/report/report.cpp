#include "clipscope/report/report.h"

#include "chart_style.h"

#include <fmt/format.h>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/report/bar_chart.h"
#include "report_figures.h"
#include "report_tables.h"

namespace clipscope::report {
namespace {

using detail::Cell;
using detail::ComparisonRow;
using detail::Section;
using detail::Table;
using nlohmann::json;

constexpr size_t kHashPrefix = 12;

/// Run facts shown in the report header, as display strings.
struct RunFacts {
  std::string label;
  std::string folder;
  std::string weights_sha256;
  std::string activation;
  std::string preprocess;
  std::string dataset;
  std::string manifest_sha256;
  std::string images;
  std::string clipscope_version;
  std::string created;
  std::string experiments;
  std::string compat;
  std::string seed;
  std::string bootstrap;
  std::string confidence;
  std::string vocabulary;
};

std::string text_of(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || object[key].is_null()) return "–";
  const json& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string hash_prefix(const json& object, const char* key) {
  std::string hash = text_of(object, key);
  return hash.size() > kHashPrefix ? hash.substr(0, kHashPrefix) : hash;
}

RunFacts run_facts(const ResultsFolder& folder) {
  RunFacts facts;
  facts.label = folder.label;
  facts.folder = folder.folder.string();
  const json& results = folder.results;
  if (results.is_object()) {
    const json& model = results["model"];
    facts.weights_sha256 = hash_prefix(model, "weights_sha256");
    facts.activation = text_of(model, "activation");
    facts.preprocess = text_of(model, "preprocess");
    const json dataset = results.value("dataset", json());
    facts.dataset = text_of(dataset, "path");
    facts.manifest_sha256 = hash_prefix(dataset, "manifest_sha256");
    facts.images = text_of(dataset, "images");
    facts.clipscope_version = text_of(results, "clipscope_version");
    facts.created = text_of(results, "created_utc");
    const json& options = results["options"];
    std::string experiments;
    for (const json& id : options.value("experiments", json::array())) {
      experiments += (experiments.empty() ? "" : ", ") + (id.is_string() ? id.get<std::string>() : id.dump());
    }
    facts.experiments = experiments.empty() ? "–" : experiments;
    facts.compat = text_of(options, "compat");
    facts.seed = text_of(options, "seed");
    facts.bootstrap = text_of(options, "bootstrap_resamples");
    facts.confidence = text_of(options, "confidence_level");
    const json vocabulary = options.value("vocabulary", json());
    facts.vocabulary = vocabulary.is_object()
                           ? fmt::format("{} ({} names)", text_of(vocabulary, "name"), text_of(vocabulary, "size"))
                           : text_of(options, "vocabulary");
  } else {
    facts.weights_sha256 = facts.activation = facts.preprocess = "–";
    facts.dataset = facts.manifest_sha256 = facts.images = facts.created = "–";
    facts.clipscope_version = facts.experiments = facts.compat = facts.seed = "–";
    facts.bootstrap = facts.confidence = facts.vocabulary = "–";
  }
  if (folder.order_vs_size.is_object()) {
    const json& settings = folder.order_vs_size.value("settings", json::object());
    facts.experiments += facts.experiments == "–" ? "" : ", ";
    if (facts.experiments == "–") facts.experiments.clear();
    facts.experiments += "order_vs_size";
    if (facts.bootstrap == "–") facts.bootstrap = text_of(settings, "bootstrap_resamples");
    if (facts.confidence == "–") facts.confidence = text_of(settings, "confidence_level");
    if (facts.seed == "–") facts.seed = text_of(settings, "seed");
  }
  return facts;
}

// The interval coverage named in the report, from the first folder that records one.
std::string confidence_text(const std::vector<ResultsFolder>& folders) {
  for (const ResultsFolder& folder : folders) {
    double level = 0;
    if (folder.results.is_object()) level = folder.results["options"].value("confidence_level", 0.0);
    if (level <= 0 && folder.order_vs_size.is_object()) {
      level = folder.order_vs_size.value("settings", json::object()).value("confidence_level", 0.0);
    }
    if (level > 0) return fmt::format("{:g}%", level * 100);
  }
  return "95%";
}

std::string join_lines(const std::vector<std::string>& lines, const std::string& separator) {
  std::string text;
  for (const std::string& line : lines) text += (text.empty() ? "" : separator) + line;
  return text;
}

std::string markdown_escape(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '|' || c == '<' || c == '>' || c == '*' || c == '`') {
      escaped += '\\';
      escaped += c;
    } else if (c == '\n') {
      escaped += ' ';
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string format_difference(const ComparisonRow& row) {
  std::string text = fmt::format("{:+.1f}", row.difference * 100);
  if (row.ci_low && row.ci_high) text += fmt::format(" [{:+.1f}, {:+.1f}]", *row.ci_low * 100, *row.ci_high * 100);
  return text;
}

std::string format_p_value(std::optional<double> p) {
  if (!p) return "–";
  return *p < 1e-4 ? fmt::format("{:.1e}", *p) : fmt::format("{:.4f}", *p);
}

// ---------------------------------------------------------------- Markdown

void append_markdown_header(std::string& md, const std::vector<ResultsFolder>& folders) {
  md += "# clipscope report\n\n";
  md += fmt::format(
      "Report by clipscope {} from {} results folder{}. Rates are percentages with {} confidence intervals in "
      "brackets. Chance is the expected rate of a model that ignores its input.\n\n",
      CLIPSCOPE_VERSION, folders.size(), folders.size() == 1 ? "" : "s", confidence_text(folders));
  md += "## Runs\n\n";
  md += "| Model | Weights SHA-256 | Activation | Preprocess | Dataset | Manifest SHA-256 | Images | clipscope | Created |\n";
  md += "|---|---|---|---|---|---|---|---|---|\n";
  for (const ResultsFolder& folder : folders) {
    const RunFacts f = run_facts(folder);
    md += fmt::format("| {} | `{}` | {} | {} | {} | `{}` | {} | {} | {} |\n", markdown_escape(f.label),
                      f.weights_sha256, markdown_escape(f.activation), markdown_escape(f.preprocess),
                      markdown_escape(f.dataset), f.manifest_sha256, f.images, markdown_escape(f.clipscope_version),
                      markdown_escape(f.created));
  }
  md += "\n| Model | Folder | Experiments | Compat | Seed | Bootstrap resamples | Confidence | Vocabulary |\n";
  md += "|---|---|---|---|---|---|---|---|\n";
  for (const ResultsFolder& folder : folders) {
    const RunFacts f = run_facts(folder);
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", markdown_escape(f.label),
                      markdown_escape(f.folder), markdown_escape(f.experiments), markdown_escape(f.compat), f.seed,
                      f.bootstrap, f.confidence, markdown_escape(f.vocabulary));
  }
  md += "\n";
}

void append_markdown_table(std::string& md, const Table& table) {
  md += "### " + markdown_escape(table.title) + "\n\n";
  md += "| Model |";
  for (const auto& column : table.columns) md += fmt::format(" {} |", markdown_escape(join_lines(column, " · ")));
  md += "\n|---|";
  for (size_t c = 0; c < table.columns.size(); ++c) md += "---|";
  md += "\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    md += "| " + markdown_escape(table.rows[r]) + " |";
    for (const Cell& cell : table.cells[r]) md += fmt::format(" {} |", detail::format_cell(cell, table.percent));
    md += "\n";
  }
  md += "| *chance* |";
  for (const auto& chance : table.chance) md += fmt::format(" {} |", detail::format_value(chance, table.percent));
  md += fmt::format("\n\n{}Metric `{}`; samples per cell: {}.\n\n", table.percent ? "" : "Ratios, not percentages. ",
                    table.metric, detail::format_sample_counts(table));
}

void append_markdown_records(std::string& md, const std::vector<ResultsFolder>& folders, const std::string& id) {
  md += "| Model | Variant | Metric | Labels | Rate | Chance | n |\n|---|---|---|---|---|---|---|\n";
  for (const ResultsFolder& folder : folders) {
    for (const json& record : metric_records(folder)) {
      if (record["experiment"] != id) continue;
      Cell cell;
      cell.value = record["value"].get<double>();
      if (record["ci_low"].is_number()) cell.ci_low = record["ci_low"].get<double>();
      if (record["ci_high"].is_number()) cell.ci_high = record["ci_high"].get<double>();
      std::optional<double> chance;
      if (record["chance"].is_number()) chance = record["chance"].get<double>();
      md += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", markdown_escape(folder.label),
                        markdown_escape(record["variant"].get<std::string>()),
                        markdown_escape(record["metric"].get<std::string>()),
                        markdown_escape(record["labels"].dump()), detail::format_cell(cell),
                        detail::format_percent(chance), record["n"].get<int64_t>());
    }
  }
  md += "\n";
}

// ---------------------------------------------------------------- HTML


std::string html_cell(const Cell& cell, bool percent) {
  if (!cell.value) return "<td class=\"rate\">–</td>";
  std::string ci;
  if (cell.ci_low && cell.ci_high) {
    ci = fmt::format(" <span class=\"ci\">[{}, {}]</span>", detail::format_value(cell.ci_low, percent),
                     detail::format_value(cell.ci_high, percent));
  }
  return fmt::format("<td class=\"rate\" title=\"n = {}\">{}{}</td>", cell.n, detail::format_value(cell.value, percent),
                     ci);
}

BarChart chart_of(const Table& table) {
  BarChart chart;
  chart.title = table.title;
  chart.series = table.rows;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    BarGroup group;
    group.label_lines = table.columns[c];
    group.chance = table.chance[c];
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const Cell& cell = table.cells[r][c];
      group.bars.push_back({cell.value, cell.ci_low, cell.ci_high});
    }
    chart.groups.push_back(group);
  }
  return chart;
}

void append_html_table(std::string& html, const Table& table, const std::string& confidence) {
  html += "<div class=\"card\">\n<h3>" + escape_xml(table.title) + "</h3>\n<div class=\"scroll\"><table class=\"results\">\n<thead><tr><th>Model</th>";
  for (const auto& column : table.columns) {
    std::vector<std::string> escaped;
    for (const std::string& line : column) escaped.push_back(escape_xml(line));
    html += "<th>" + join_lines(escaped, "<br/>") + "</th>";
  }
  html += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    html += "<tr><td>" + escape_xml(table.rows[r]) + "</td>";
    for (const Cell& cell : table.cells[r]) html += html_cell(cell, table.percent);
    html += "</tr>\n";
  }
  html += "<tr class=\"chance\"><td>chance</td>";
  for (const auto& chance : table.chance) html += "<td>" + detail::format_value(chance, table.percent) + "</td>";
  html += "</tr>\n</tbody>\n</table></div>\n";
  html += fmt::format("<p class=\"note\">{}, {} CI in brackets. Metric <code>{}</code>; samples per cell: {}.</p>\n",
                      table.percent ? "Rates in %" : "Ratios", confidence, escape_xml(table.metric),
                      detail::format_sample_counts(table));
  if (table.chart) html += render_bar_chart(chart_of(table));
  html += "</div>\n";
}

void append_html_header(std::string& html, const std::vector<ResultsFolder>& folders) {
  html += "<section class=\"card\" id=\"runs\">\n<h2>Runs</h2>\n<div class=\"scroll\"><table class=\"facts\">\n<thead><tr><th>Model</th>"
          "<th>Weights SHA-256</th><th>Activation</th><th>Preprocess</th><th>Dataset</th><th>Manifest SHA-256</th>"
          "<th>Images</th><th>clipscope</th><th>Created</th></tr></thead>\n<tbody>\n";
  for (const ResultsFolder& folder : folders) {
    const RunFacts f = run_facts(folder);
    html += fmt::format(
        "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>"
        "<td>{}</td><td>{}</td></tr>\n",
        escape_xml(f.label), escape_xml(f.weights_sha256), escape_xml(f.activation), escape_xml(f.preprocess),
        escape_xml(f.dataset), escape_xml(f.manifest_sha256), escape_xml(f.images), escape_xml(f.clipscope_version),
        escape_xml(f.created));
  }
  html += "</tbody>\n</table></div>\n<h3>Options</h3>\n<div class=\"scroll\"><table class=\"facts\">\n<thead><tr><th>Model</th><th>Folder</th>"
          "<th>Experiments</th><th>Compat</th><th>Seed</th><th>Bootstrap resamples</th><th>Confidence</th>"
          "<th>Vocabulary</th></tr></thead>\n<tbody>\n";
  for (const ResultsFolder& folder : folders) {
    const RunFacts f = run_facts(folder);
    html += fmt::format("<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                        "<td>{}</td></tr>\n",
                        escape_xml(f.label), escape_xml(f.folder), escape_xml(f.experiments), escape_xml(f.compat),
                        escape_xml(f.seed), escape_xml(f.bootstrap), escape_xml(f.confidence),
                        escape_xml(f.vocabulary));
  }
  html += "</tbody>\n</table></div>\n</section>\n";
}

void append_html_comparisons(std::string& html, const std::vector<ComparisonRow>& comparisons,
                             const std::string& confidence) {
  html += "<section id=\"comparisons\">\n<h2>Paired comparisons</h2>\n<p class=\"intro\">Two settings measured on "
          "the same samples: the difference b − a in percentage points with its paired bootstrap interval, and the "
          "two-sided exact McNemar p-value.</p>\n<div class=\"card\">\n<table class=\"results\">\n<thead><tr>"
          "<th>Model</th><th>Experiment</th><th>Metric</th><th>Labels</th><th>a</th><th>b</th><th>Rate a</th>"
          "<th>Rate b</th><th>b − a</th><th>p</th><th>n</th></tr></thead>\n<tbody>\n";
  for (const ComparisonRow& row : comparisons) {
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
        escape_xml(row.model), escape_xml(row.experiment), escape_xml(row.metric), escape_xml(row.labels),
        escape_xml(row.a), escape_xml(row.b), detail::format_percent(row.value_a), detail::format_percent(row.value_b),
        format_difference(row), format_p_value(row.p_value), row.n);
  }
  html += fmt::format("</tbody>\n</table>\n<p class=\"note\">Differences in percentage points, {} CI in brackets.</p>\n"
                      "</div>\n</section>\n", confidence);
}

}  // namespace

std::string render_markdown(const std::vector<ResultsFolder>& folders, const std::filesystem::path& link_folder) {
  const std::vector<Section> sections = detail::build_sections(folders);
  std::string md;
  append_markdown_header(md, folders);
  for (const Section& section : sections) {
    md += "## " + markdown_escape(section.title) + "\n\n" + section.intro + "\n\n";
    for (const Table& table : section.tables) append_markdown_table(md, table);
    if (section.tables.empty()) append_markdown_records(md, folders, section.id);
    md += detail::markdown_figures(folders, section.id, link_folder);
  }
  const std::vector<ComparisonRow> comparisons = detail::build_comparisons(folders);
  if (!comparisons.empty()) {
    md += "## Paired comparisons\n\nDifference b − a in percentage points with its paired bootstrap interval; "
          "p is the two-sided exact McNemar test.\n\n";
    md += "| Model | Experiment | Metric | Labels | a | b | Rate a | Rate b | b − a | p | n |\n";
    md += "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const ComparisonRow& row : comparisons) {
      md += fmt::format("| {} | {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n", markdown_escape(row.model),
                        markdown_escape(row.experiment), row.metric, markdown_escape(row.labels),
                        markdown_escape(row.a), markdown_escape(row.b), detail::format_percent(row.value_a),
                        detail::format_percent(row.value_b), format_difference(row), format_p_value(row.p_value),
                        row.n);
    }
    md += "\n";
  }
  return md;
}

std::string render_html(const std::vector<ResultsFolder>& folders) {
  const std::vector<Section> sections = detail::build_sections(folders);
  const std::vector<ComparisonRow> comparisons = detail::build_comparisons(folders);
  const std::string confidence = confidence_text(folders);

  std::string models;
  for (const ResultsFolder& folder : folders) models += (models.empty() ? "" : ", ") + folder.label;
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  html += "<title>clipscope report: " + escape_xml(models) + "</title>\n<style>" + detail::kReportStyle + "</style>\n</head>\n<body>\n";
  html += "<header class=\"top\"><h1>clipscope report</h1><p>" + escape_xml(models) +
          fmt::format(" · clipscope {} · rates in % with {} confidence intervals; dashed lines mark chance</p>",
                      CLIPSCOPE_VERSION, confidence) +
          "</header>\n<main>\n<nav><a href=\"#runs\">Runs</a>";
  for (const Section& section : sections) {
    html += "<a href=\"#" + escape_xml(section.id) + "\">" + escape_xml(section.title) + "</a>";
  }
  if (!comparisons.empty()) html += "<a href=\"#comparisons\">Comparisons</a>";
  html += "</nav>\n";
  append_html_header(html, folders);

  for (const Section& section : sections) {
    html += "<section id=\"" + escape_xml(section.id) + "\">\n<h2>" + escape_xml(section.title) + "</h2>\n";
    html += "<p class=\"intro\">" + escape_xml(section.intro) + "</p>\n";
    for (const Table& table : section.tables) append_html_table(html, table, confidence);
    if (section.tables.empty()) {
      std::string md;
      append_markdown_records(md, folders, section.id);
      html += "<div class=\"card\"><pre>" + escape_xml(md) + "</pre></div>\n";
    }
    html += detail::html_figures(folders, section.id);
    html += "</section>\n";
  }
  if (!comparisons.empty()) append_html_comparisons(html, comparisons, confidence);
  html += fmt::format("<footer>Generated by clipscope {}. Self-contained file: no scripts, fonts or network "
                      "resources.</footer>\n</main>\n</body>\n</html>\n", CLIPSCOPE_VERSION);
  return html;
}

void write_report(const std::vector<std::filesystem::path>& result_folders, const std::filesystem::path& out_folder) {
  const std::vector<ResultsFolder> folders = load_results_folders(result_folders);
  const std::string markdown = render_markdown(folders, out_folder);
  const std::string html = render_html(folders);
  io::write_file_atomic(out_folder / "report.md", markdown);
  io::write_file_atomic(out_folder / "report.html", html);
}

}  // namespace clipscope::report
