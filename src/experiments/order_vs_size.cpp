#include "clipscope/experiments/order_vs_size.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::experiments {

namespace {

double annotation_area(const io::CocoAnnotation& annotation, const io::CocoImage& image, AreaSource source) {
  if (source == AreaSource::kBox) return annotation.bbox[2] * annotation.bbox[3];
  if (annotation.segmentation.kind == io::CocoSegmentation::Kind::kNone) return annotation.area;
  return static_cast<double>(io::mask_area(annotation, image.width, image.height));
}

// Largest instance per category name in one image.
struct LargestInstance {
  int64_t category_id = 0;
  int64_t annotation_id = 0;
  double area = -1;
};

std::string format_number(double value) { return fmt::format("{:.6g}", value); }

}  // namespace

AreaSource parse_area_source(std::string_view text) {
  if (text == "mask") return AreaSource::kMask;
  if (text == "box") return AreaSource::kBox;
  fail(ErrorKind::kInvalidArgument, "area source '{}' is not supported; use 'mask' or 'box'", text);
}

const char* area_source_name(AreaSource source) { return source == AreaSource::kMask ? "mask" : "box"; }

std::vector<CaptionObjects> collect_caption_objects(const io::CocoDataset& dataset, const MentionMatcher& matcher,
                                                    AreaSource area_source) {
  // Largest instance per category, computed once per image that has captions.
  std::unordered_map<int64_t, std::map<std::string, LargestInstance>> largest_by_image;
  auto largest_of = [&](int64_t image_id) -> const std::map<std::string, LargestInstance>& {
    auto found = largest_by_image.find(image_id);
    if (found != largest_by_image.end()) return found->second;
    std::map<std::string, LargestInstance>& largest = largest_by_image[image_id];
    const io::CocoImage& image = dataset.image(image_id);
    for (size_t index : dataset.annotations_of(image_id)) {
      const io::CocoAnnotation& annotation = dataset.annotations[index];
      const std::string& name = dataset.category(annotation.category_id).name;
      double area = annotation_area(annotation, image, area_source);
      LargestInstance& entry = largest[name];
      if (area > entry.area) entry = {annotation.category_id, annotation.id, area};
    }
    return largest;
  };

  std::vector<CaptionObjects> result;
  result.reserve(dataset.captions.size());
  for (const io::CocoCaption& caption : dataset.captions) {
    CaptionObjects objects;
    objects.caption_id = caption.id;
    objects.image_id = caption.image_id;
    objects.caption = caption.caption;
    const auto& largest = largest_of(caption.image_id);
    for (const Mention& mention : matcher.find(caption.caption)) {
      auto instance = largest.find(mention.category);
      if (instance == largest.end()) continue;
      bool repeated = std::any_of(objects.objects.begin(), objects.objects.end(),
                                  [&](const CaptionObject& seen) { return seen.category == mention.category; });
      if (repeated) continue;
      objects.objects.push_back({mention.category, instance->second.category_id, instance->second.annotation_id,
                                 instance->second.area, mention.char_offset, mention.word_index});
    }
    result.push_back(std::move(objects));
  }
  return result;
}

size_t largest_position(const CaptionObjects& caption) {
  size_t best = 0;
  for (size_t i = 1; i < caption.objects.size(); ++i) {
    if (caption.objects[i].area > caption.objects[best].area) best = i;
  }
  return best;
}

OrderVsSizeResult order_vs_size(const std::vector<CaptionObjects>& captions, const OrderVsSizeOptions& options) {
  if (options.min_objects < 2 || options.max_objects < options.min_objects) {
    fail(ErrorKind::kInvalidArgument, "object counts {}..{} are invalid; use 2 <= min <= max", options.min_objects,
         options.max_objects);
  }
  OrderVsSizeResult result;
  result.options = options;
  result.captions_total = static_cast<int64_t>(captions.size());

  for (int k = options.min_objects; k <= options.max_objects; ++k) {
    OrderVsSizeRow row;
    row.objects = k;
    row.chance = 1.0 / k;
    row.counts.assign(k, 0);
    std::vector<size_t> positions;
    for (const CaptionObjects& caption : captions) {
      if (static_cast<int>(caption.objects.size()) != k) continue;
      positions.push_back(largest_position(caption));
    }
    row.captions = static_cast<int64_t>(positions.size());
    for (size_t position : positions) ++row.counts[position];

    for (int p = 0; p < k; ++p) {
      std::vector<double> outcomes(positions.size());
      for (size_t i = 0; i < positions.size(); ++i) outcomes[i] = positions[i] == static_cast<size_t>(p) ? 1.0 : 0.0;
      stats::BootstrapOptions bootstrap = options.bootstrap;
      bootstrap.seed = options.bootstrap.seed + static_cast<uint64_t>(k * 100 + p);  // independent streams per cell
      row.rates.push_back(stats::bootstrap_mean(outcomes, bootstrap));
    }
    result.captions_used += row.captions;
    result.rows.push_back(std::move(row));
  }
  return result;
}

nlohmann::json order_vs_size_json(const OrderVsSizeResult& result) {
  using nlohmann::json;
  json rows = json::array();
  json metrics = json::array();
  for (const OrderVsSizeRow& row : result.rows) {
    json rates = json::array();
    for (int p = 0; p < row.objects; ++p) {
      const stats::Estimate& rate = row.rates[p];
      json low = rate.interval ? json(rate.interval->low) : json(nullptr);
      json high = rate.interval ? json(rate.interval->high) : json(nullptr);
      rates.push_back({{"position", p}, {"count", row.counts[p]}, {"rate", rate.value}, {"ci_low", low},
                       {"ci_high", high}});
      metrics.push_back({{"experiment", "order_vs_size"},
                         {"variant", area_source_name(result.options.area_source)},
                         {"metric", "largest_position_rate"},
                         {"labels", {{"n", row.objects}, {"position", p}}},
                         {"value", rate.value},
                         {"ci_low", low},
                         {"ci_high", high},
                         {"ci_method", rate.method},
                         {"chance", row.chance},
                         {"n", row.captions}});
    }
    rows.push_back({{"objects", row.objects}, {"captions", row.captions}, {"chance", row.chance}, {"positions", rates}});
  }
  return {{"experiment", "order_vs_size"},
          {"settings",
           {{"area", area_source_name(result.options.area_source)},
            {"min_objects", result.options.min_objects},
            {"max_objects", result.options.max_objects},
            {"bootstrap_resamples", result.options.bootstrap.resamples},
            {"confidence_level", result.options.bootstrap.level},
            {"seed", result.options.bootstrap.seed}}},
          {"captions_total", result.captions_total},
          {"captions_used", result.captions_used},
          {"rows", rows},
          {"metrics", metrics}};
}

std::string order_vs_size_csv(const OrderVsSizeResult& result) {
  std::string csv = "objects,position,captions,count,rate,ci_low,ci_high,chance\n";
  for (const OrderVsSizeRow& row : result.rows) {
    for (int p = 0; p < row.objects; ++p) {
      const stats::Estimate& rate = row.rates[p];
      std::string low = rate.interval ? format_number(rate.interval->low) : "";
      std::string high = rate.interval ? format_number(rate.interval->high) : "";
      csv += fmt::format("{},{},{},{},{},{},{},{}\n", row.objects, p, row.captions, row.counts[p],
                         format_number(rate.value), low, high, format_number(row.chance));
    }
  }
  return csv;
}

std::string order_vs_size_svg(const OrderVsSizeResult& result) {
  // layout in SVG user units
  constexpr double kBarWidth = 14, kGroupGap = 24, kLeft = 56, kTop = 30, kPlotHeight = 220, kBottom = 50;
  double plot_width = 0;
  for (const OrderVsSizeRow& row : result.rows) plot_width += row.objects * kBarWidth + kGroupGap;
  double width = kLeft + plot_width + 20, height = kTop + kPlotHeight + kBottom;
  auto y_of = [&](double rate) { return kTop + kPlotHeight * (1.0 - rate); };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "viewBox=\"0 0 {:.0f} {:.0f}\" font-family=\"sans-serif\" font-size=\"11\">\n",
      width, height, width, height);
  svg += fmt::format("<title>Caption position of the largest object ({} area)</title>\n",
                     area_source_name(result.options.area_source));
  svg += fmt::format("<text x=\"{:.0f}\" y=\"16\">Position of the largest mentioned object, by objects per caption "
                     "(dashed: chance 1/k)</text>\n",
                     kLeft);

  // axis with ticks at 0, 0.25, ..., 1
  for (int tick = 0; tick <= 4; ++tick) {
    double y = y_of(tick / 4.0);
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", kLeft, y,
                       kLeft + plot_width, y);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.2f}</text>\n", kLeft - 6, y + 4,
                       tick / 4.0);
  }

  double x = kLeft + kGroupGap / 2;
  for (const OrderVsSizeRow& row : result.rows) {
    double group_start = x;
    for (int p = 0; p < row.objects; ++p) {
      const stats::Estimate& rate = row.rates[p];
      double bar_top = y_of(rate.value);
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>k={} position {}: "
          "{}/{}</title></rect>\n",
          x, bar_top, kBarWidth - 2, kTop + kPlotHeight - bar_top, p == 0 ? "#3b6ea8" : "#9bb7d4", row.objects, p + 1,
          row.counts[p], row.captions);
      if (rate.interval) {
        double center = x + (kBarWidth - 2) / 2;
        svg += fmt::format("<path d=\"M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} {1:.1f}H{4:.1f}M{3:.1f} {2:.1f}H{4:.1f}\" "
                           "stroke=\"#222\" fill=\"none\"/>\n",
                           center, y_of(rate.interval->low), y_of(rate.interval->high), center - 3, center + 3);
      }
      x += kBarWidth;
    }
    double chance_y = y_of(row.chance);
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"/>\n",
        group_start - 2, chance_y, x, chance_y);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">k={} (n={})</text>\n",
                       (group_start + x) / 2, kTop + kPlotHeight + 16, row.objects, row.captions);
    x += kGroupGap;
  }
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">bars: caption positions 1..k; "
                     "whiskers: {:.0f}% bootstrap interval</text>\n",
                     kLeft + plot_width / 2, height - 10, result.options.bootstrap.level * 100);
  svg += "</svg>\n";
  return svg;
}

void write_order_vs_size(const OrderVsSizeResult& result, const std::filesystem::path& folder) {
  io::write_file_atomic(folder / "order_vs_size.csv", order_vs_size_csv(result));
  io::write_file_atomic(folder / "order_vs_size.svg", order_vs_size_svg(result));
  io::write_file_atomic(folder / "order_vs_size.json", order_vs_size_json(result).dump(2) + "\n");
}

}  // namespace clipscope::experiments
