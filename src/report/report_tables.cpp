#include "report_tables.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace clipscope::report::detail {
namespace {

using nlohmann::json;

// The pseudo label key that stands for a record's variant in a view's columns.
constexpr const char* kVariantKey = "variant";

// Labels that never split a table: probes report only the test split.
bool ignored_label(const std::string& key) { return key == "split"; }

/// Which records form one table: a metric, fixed label values, and the keys that make the columns.
struct View {
  std::string metric;
  json fixed;                          ///< Labels every record must have with these values.
  std::vector<std::string> columns;    ///< Keys (or "variant") whose values form the columns.
  std::vector<std::string> required;   ///< Column keys every record must have.
  bool per_variant = true;             ///< One table per variant; false if "variant" is a column key.
  std::string title;                   ///< Title; "{variant}" is replaced per variant.
  bool percent = true;                 ///< Values are rates shown in percent; false: plain numbers, no chart.
};

struct ExperimentInfo {
  std::string title;
  std::string intro;
  std::vector<View> views;
};

const std::map<std::string, ExperimentInfo>& experiment_infos() {
  static const std::map<std::string, ExperimentInfo> infos = {
      {"tor",
       {"Text-based object retrieval (TOR)",
        "Each caption lists n objects. Its text embedding is compared with the embedding of every object name, "
        "and the table gives how often the most similar name is the object at each caption position. A "
        "first-position rate far above the others is the order bias.",
        {{"top1_position_rate", {{"given", "all"}}, {"n", "position"}, {"position"}, true,
          "Top-1 object by caption position ({variant})"},
         {"top_n_accuracy", json::object(), {"n"}, {}, true, "Top-n retrieves exactly the caption's objects ({variant})"}}}},
      {"ior",
       {"Image-based object retrieval (IOR)",
        "Each scene image is compared with single-object reference images. The tables give how often the most "
        "similar reference is the large or a small object, and the object in each slot. A large-object rate far "
        "above the small-object rate is the size bias.",
        {{"top1_size_role_rate", {{"given", "all"}}, {"n", "size_role"}, {"size_role"}, true,
          "Top-1 object by size role ({variant})"},
         {"most_similar_size_role_rate", json::object(), {"n", "size_role"}, {"size_role"}, true,
          "Most similar present object by size role ({variant})"},
         {"top1_slot_rate", {{"given", "all"}}, {"n", "slot"}, {"slot"}, true, "Top-1 object by image slot ({variant})"},
         {"top_n_accuracy", json::object(), {"n"}, {}, true, "Top-n retrieves exactly the image's objects ({variant})"}}}},
      {"i2tor",
       {"Image-to-text object retrieval (I2TOR)",
        "Each scene image is compared with the text embedding of every object name. The tables give how often "
        "the most similar name is the large or a small object, and the object in each slot.",
        {{"top1_size_role_rate", {{"given", "all"}}, {"n", "size_role"}, {"size_role"}, true,
          "Top-1 name by size role ({variant})"},
         {"most_similar_size_role_rate", json::object(), {"n", "size_role"}, {"size_role"}, true,
          "Most similar present name by size role ({variant})"},
         {"top1_slot_rate", {{"given", "all"}}, {"n", "slot"}, {"slot"}, true, "Top-1 name by image slot ({variant})"},
         {"top_n_accuracy", json::object(), {"n"}, {}, true, "Top-n retrieves exactly the image's objects ({variant})"}}}},
      {"matching",
       {"Image-text matching",
        "The correct caption must score above every distractor. Scenario 1 names the large object first in the "
        "correct caption, scenario 2 names it last. per_object encodes each object separately and aggregates.",
        {{"accuracy", json::object(), {kVariantKey, "aggregation", "scenario"}, {"scenario"}, false,
          "Matching accuracy by scenario"}}}},
      {"toc",
       {"Text-based object classification (TOC)",
        "A linear probe on frozen text embeddings predicts the object at each caption position (test split).",
        {{"probe_accuracy", json::object(), {"n", "position"}, {"position"}, true, "Probe accuracy by caption position"}}}},
      {"ioc",
       {"Image-based object classification (IOC)",
        "A linear probe on frozen image embeddings predicts the object in each slot or size role (test split).",
        {{"probe_accuracy", json::object(), {"n", "size_role"}, {"size_role"}, true, "Probe accuracy by size role"},
         {"probe_accuracy", json::object(), {"n", "slot"}, {"slot"}, true, "Probe accuracy by image slot"}}}},
      {"coco-tor",
       {"COCO captions: text-based object retrieval (coco-tor)",
        "Human-written COCO captions that mention two or more annotated categories are compared with the embedding "
        "of every category name. The tables give how often the most similar of the mentioned objects, and the most "
        "similar name overall, is the object at each mention position. Chance is 1/n among the mentioned objects.",
        {{"most_similar_position_rate", json::object(), {"n", "position"}, {"position"}, true,
          "Most similar mentioned object by caption position ({variant})"},
         {"top1_position_rate", {{"given", "all"}}, {"n", "position"}, {"position"}, true,
          "Top-1 name by caption position ({variant})"},
         {"top_n_accuracy", json::object(), {"n"}, {}, true, "Top-n retrieves exactly the caption's objects ({variant})"},
         {"map", json::object(), {"n"}, {}, true, "Mean average precision ({variant})"}}}},
      {"coco-i2tor",
       {"COCO images: image-to-text object retrieval (coco-i2tor)",
        "COCO images with two or more annotated categories are compared with the text embedding of every category "
        "name. Objects are ranked by annotated area; the tables give how often the most similar present object is "
        "the largest, the 2nd largest, and so on. Chance is 1/n.",
        {{"most_similar_size_rank_rate", json::object(), {"n", "size_rank"}, {"size_rank"}, true,
          "Most similar present object by size rank ({variant})"},
         {"most_similar_size_role_rate", json::object(), {"n", "size_role"}, {"size_role"}, true,
          "Most similar present object: largest or other ({variant})"},
         {"top1_size_role_rate", {{"given", "all"}}, {"n", "size_role"}, {"size_role"}, true,
          "Top-1 name: largest or other object ({variant})"},
         {"top_n_accuracy", json::object(), {"n"}, {}, true, "Top-n retrieves exactly the image's objects ({variant})"}}}},
      {"coco-ior",
       {"COCO images: image-based object retrieval (coco-ior)",
        "COCO images with two or more annotated categories are compared with one single-object crop per category, "
        "cut from another image of the set. Objects are ranked by annotated area; the tables give how often the "
        "most similar present object is the largest, the 2nd largest, and so on. Chance is 1/n.",
        {{"most_similar_size_rank_rate", json::object(), {"n", "size_rank"}, {"size_rank"}, true,
          "Most similar present object by size rank ({variant})"},
         {"most_similar_size_role_rate", json::object(), {"n", "size_role"}, {"size_role"}, true,
          "Most similar present object: largest or other ({variant})"},
         {"top1_size_role_rate", {{"given", "all"}}, {"n", "size_role"}, {"size_role"}, true,
          "Top-1 crop: largest or other object ({variant})"},
         {"top_n_accuracy", json::object(), {"n"}, {}, true, "Top-n retrieves exactly the image's objects ({variant})"}}}},
      {"coco-matching",
       {"COCO captions: image-text matching (coco-matching)",
        "Each caption is rewritten so that its largest annotated object is named first or last, the rest of the text "
        "kept, and must score above distractors in which one object is replaced by an absent category. The caption "
        "as written is scored too.",
        {{"accuracy", json::object(), {"scenario"}, {"scenario"}, true, "Matching accuracy by scenario ({variant})"}}}},
      {"attention",
       {"Class-token attention by object size",
        "The class token's head-averaged attention over the patch grid, summed inside each object's mask. Chance is "
        "the mean area share, which uniform attention gives; a ratio above 1 means more attention than area.",
        {{"attention_share", json::object(), {"size_role"}, {"size_role"}, true,
          "Attention share per object: largest or other ({variant})"},
         {"attention_area_ratio", json::object(), {"size_role"}, {"size_role"}, true,
          "Attention share / area share: largest or other ({variant})", false}}}},
      {"order_vs_size",
       {"Real captions: position of the largest object",
        "In human-written captions, the caption position of the largest annotated object, per number of objects "
        "k. Chance is 1/k.",
        {{"largest_position_rate", json::object(), {"n", "position"}, {"position"}, true,
          "Position of the largest object ({variant} areas)"}}}},
  };
  return infos;
}

const std::vector<std::string> kExperimentOrder = {"tor",      "ior",           "i2tor",     "matching",
                                                   "toc",      "ioc",           "coco-tor",  "coco-i2tor",
                                                   "coco-ior", "coco-matching", "attention", "order_vs_size"};

std::string ordinal(int64_t one_based) {
  const int64_t tens = one_based % 100;
  const char* suffix = "th";
  if (tens < 11 || tens > 13) {
    if (one_based % 10 == 1) suffix = "st";
    if (one_based % 10 == 2) suffix = "nd";
    if (one_based % 10 == 3) suffix = "rd";
  }
  return fmt::format("{}{}", one_based, suffix);
}

std::string label_text(const std::string& key, const json& value) {
  if (key == "n") return fmt::format("n={}", value.dump());
  if (key == "position" && value.is_number_integer()) return ordinal(value.get<int64_t>() + 1) + " object";
  if (key == "slot" && value.is_number_integer()) return fmt::format("slot {}", value.get<int64_t>() + 1);
  if (key == "size_rank" && value.is_number_integer()) {
    return value.get<int64_t>() == 0 ? std::string("largest") : ordinal(value.get<int64_t>() + 1) + " largest";
  }
  if (key == "scenario" && value == "as_written") return "as written";
  if (key == "scenario" && value.is_number_integer()) {
    if (value.get<int64_t>() == 1) return "large first";
    if (value.get<int64_t>() == 2) return "large last";
  }
  if (key == "aggregation" && value.is_string()) {
    return value.get<std::string>() == "none" ? std::string() : "agg. " + value.get<std::string>();
  }
  if (value.is_string()) return value.get<std::string>();
  return fmt::format("{}={}", key, value.dump());
}

bool record_matches(const json& record, const View& view, const std::string& variant) {
  if (record["metric"] != view.metric) return false;
  if (view.per_variant && record["variant"] != variant) return false;
  const json& labels = record["labels"];
  for (const auto& [key, value] : view.fixed.items()) {
    if (!labels.contains(key) || labels[key] != value) return false;
  }
  for (const std::string& key : view.required) {
    if (!labels.contains(key)) return false;
  }
  for (const auto& [key, value] : labels.items()) {
    const bool known = view.fixed.contains(key) ||
                       std::find(view.columns.begin(), view.columns.end(), key) != view.columns.end();
    if (!known && !ignored_label(key)) return false;
  }
  return true;
}

// Column identity: the values of the column keys, null where a record pools over a key.
json column_key(const json& record, const View& view) {
  json key = json::array();
  for (const std::string& name : view.columns) {
    if (name == kVariantKey) {
      key.push_back(record["variant"]);
    } else {
      key.push_back(record["labels"].value(name, json()));
    }
  }
  return key;
}

std::optional<double> optional_number(const json& record, const char* key) {
  if (!record.contains(key) || !record[key].is_number()) return std::nullopt;
  return record[key].get<double>();
}

bool same_chance(double a, double b) { return std::abs(a - b) < 1e-9; }

Table build_table(const std::vector<ResultsFolder>& folders, const std::vector<std::vector<json>>& records,
                  const View& view, const std::string& variant) {
  // columns in label order (nlohmann::json orders numbers numerically and strings lexicographically)
  std::set<json> column_set;
  for (const auto& folder_records : records) {
    for (const json& record : folder_records) {
      if (record_matches(record, view, variant)) column_set.insert(column_key(record, view));
    }
  }
  Table table;
  table.metric = view.metric;
  table.title = view.title;
  table.percent = view.percent;
  table.chart = view.percent;
  const size_t placeholder = table.title.find("{variant}");
  if (placeholder != std::string::npos) table.title.replace(placeholder, 9, variant);
  std::vector<json> columns(column_set.begin(), column_set.end());
  if (columns.empty()) return table;

  // a header line per column key that varies across the columns, or that is the only key
  for (const json& column : columns) {
    std::vector<std::string> lines;
    for (size_t k = 0; k < view.columns.size(); ++k) {
      bool varies = false;
      for (const json& other : columns) varies = varies || other[k] != column[k];
      const bool last_key = k + 1 == view.columns.size();
      if (column[k].is_null() || (!varies && !last_key)) continue;
      std::string text = label_text(view.columns[k], column[k]);
      if (!text.empty()) lines.push_back(text);
    }
    if (lines.empty()) lines.push_back("pooled");
    table.columns.push_back(lines);
  }

  // one row per folder with any record in this view
  table.chance.assign(columns.size(), std::nullopt);
  std::vector<bool> chance_conflict(columns.size(), false);
  for (size_t f = 0; f < folders.size(); ++f) {
    std::vector<Cell> row(columns.size());
    bool any = false;
    for (const json& record : records[f]) {
      if (!record_matches(record, view, variant)) continue;
      const size_t c = std::lower_bound(columns.begin(), columns.end(), column_key(record, view)) - columns.begin();
      Cell& cell = row[c];
      cell.value = record["value"].get<double>();
      cell.ci_low = optional_number(record, "ci_low");
      cell.ci_high = optional_number(record, "ci_high");
      cell.chance = optional_number(record, "chance");
      cell.n = record["n"].get<int64_t>();
      any = true;
      if (cell.chance) {
        if (!table.chance[c]) {
          table.chance[c] = cell.chance;
        } else if (!same_chance(*table.chance[c], *cell.chance)) {
          chance_conflict[c] = true;
        }
      }
    }
    if (!any) continue;
    table.rows.push_back(folders[f].label);
    table.cells.push_back(row);
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (chance_conflict[c]) table.chance[c].reset();
  }
  return table;
}

std::vector<std::string> variants_of(const std::vector<std::vector<json>>& records, const std::string& experiment) {
  std::vector<std::string> variants;
  for (const auto& folder_records : records) {
    for (const json& record : folder_records) {
      if (record["experiment"] != experiment) continue;
      const std::string variant = record["variant"].get<std::string>();
      if (std::find(variants.begin(), variants.end(), variant) == variants.end()) variants.push_back(variant);
    }
  }
  return variants;
}

std::string labels_text(const json& labels) {
  std::string text;
  for (const auto& [key, value] : labels.items()) {
    if (!text.empty()) text += ", ";
    text += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

}  // namespace

std::vector<Section> build_sections(const std::vector<ResultsFolder>& folders) {
  std::vector<std::vector<json>> records;
  std::set<std::string> present;
  for (const ResultsFolder& folder : folders) {
    records.push_back(metric_records(folder));
    for (const json& record : records.back()) present.insert(record["experiment"].get<std::string>());
    if (folder.results.is_object()) {
      for (const auto& [id, entry] : folder.results["experiments"].items()) present.insert(id);
    }
  }
  std::vector<std::string> order;
  for (const std::string& id : kExperimentOrder) {
    if (present.count(id)) order.push_back(id);
  }
  for (const std::string& id : present) {
    if (std::find(order.begin(), order.end(), id) == order.end()) order.push_back(id);
  }

  std::vector<Section> sections;
  for (const std::string& id : order) {
    // per-experiment records, so that a view never picks up another experiment's metric
    std::vector<std::vector<json>> experiment_records(records.size());
    for (size_t f = 0; f < records.size(); ++f) {
      for (const json& record : records[f]) {
        if (record["experiment"] == id) experiment_records[f].push_back(record);
      }
    }
    Section section;
    section.id = id;
    const auto info = experiment_infos().find(id);
    if (info == experiment_infos().end()) {
      section.title = "Experiment \"" + id + "\"";
      section.intro = "This build has no table layout for this experiment; every record is listed below.";
    } else {
      section.title = info->second.title;
      section.intro = info->second.intro;
      for (const View& view : info->second.views) {
        std::vector<std::string> variants = view.per_variant ? variants_of(experiment_records, id)
                                                             : std::vector<std::string>{""};
        for (const std::string& variant : variants) {
          Table table = build_table(folders, experiment_records, view, variant);
          if (!table.rows.empty()) section.tables.push_back(std::move(table));
        }
      }
    }
    sections.push_back(std::move(section));
  }
  return sections;
}

std::vector<ComparisonRow> build_comparisons(const std::vector<ResultsFolder>& folders) {
  std::vector<ComparisonRow> rows;
  for (const ResultsFolder& folder : folders) {
    if (!folder.results.is_object() || !folder.results.contains("comparisons")) continue;
    for (const json& record : folder.results["comparisons"]) {
      if (!record.is_object()) continue;
      ComparisonRow row;
      row.model = folder.label;
      row.experiment = record.value("experiment", std::string());
      row.metric = record.value("metric", std::string());
      row.labels = labels_text(record.value("labels", json::object()));
      row.a = record.value("a", std::string());
      row.b = record.value("b", std::string());
      row.value_a = record.value("value_a", 0.0);
      row.value_b = record.value("value_b", 0.0);
      row.difference = record.value("difference", row.value_b - row.value_a);
      row.ci_low = optional_number(record, "ci_low");
      row.ci_high = optional_number(record, "ci_high");
      row.p_value = optional_number(record, "p_value");
      row.n = record.value("n", int64_t{0});
      rows.push_back(row);
    }
  }
  return rows;
}

std::string format_percent(std::optional<double> rate) {
  if (!rate) return "–";
  return fmt::format("{:.1f}", *rate * 100);
}

std::string format_value(std::optional<double> value, bool percent) {
  if (!value || percent) return format_percent(value);
  return fmt::format("{:.2f}", *value);
}

std::string format_cell(const Cell& cell, bool percent) {
  if (!cell.value) return "–";
  if (!cell.ci_low || !cell.ci_high) return format_value(cell.value, percent);
  return fmt::format("{} [{}, {}]", format_value(cell.value, percent), format_value(cell.ci_low, percent),
                     format_value(cell.ci_high, percent));
}

std::string format_sample_counts(const Table& table) {
  int64_t low = -1;
  int64_t high = -1;
  for (const auto& row : table.cells) {
    for (const Cell& cell : row) {
      if (!cell.value) continue;
      low = low < 0 ? cell.n : std::min(low, cell.n);
      high = std::max(high, cell.n);
    }
  }
  if (low < 0) return "0";
  return low == high ? fmt::format("{}", low) : fmt::format("{}–{}", low, high);
}

}  // namespace clipscope::report::detail
