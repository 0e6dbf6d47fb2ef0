#include "clipscope/experiments/matching.h"

#include <algorithm>
#include <map>

#include "clipscope/error.h"
#include "clipscope/experiments/captions.h"
#include "similarity.h"

namespace clipscope::experiments {
namespace {

// Encodes each distinct text once and returns unit-norm rows by text.
class TextTable {
 public:
  void request(const std::string& text) {
    if (index_.emplace(text, texts_.size()).second) texts_.push_back(text);
  }
  void encode(model::Encoder& encoder, const std::string& label) {
    embeddings_ = detail::l2_normalize(detail::encode_texts_batched(encoder, texts_, label));  // [T, D]
  }
  torch::Tensor row(const std::string& text) const { return embeddings_[static_cast<int64_t>(index_.at(text))]; }

 private:
  std::vector<std::string> texts_;
  std::map<std::string, size_t> index_;
  torch::Tensor embeddings_;
};

std::string joined_phrases(const std::vector<std::string>& objects, bool article) {
  std::vector<std::string> phrases;
  for (const std::string& name : objects) phrases.push_back(object_phrase(name, article));
  return detail::join(phrases, " and ");
}

}  // namespace

DistractorStyle parse_distractor_style(std::string_view text) {
  if (text == "paper") return DistractorStyle::kPaper;
  if (text == "reference") return DistractorStyle::kReference;
  fail(ErrorKind::kInvalidArgument, "unknown distractor style \"{}\"; use \"paper\" or \"reference\"", text);
}

std::vector<std::vector<std::string>> matching_object_lists(const std::vector<std::string>& mentioned,
                                                             const std::vector<std::string>& vocabulary,
                                                             DistractorStyle style) {
  std::vector<std::vector<std::string>> lists{mentioned};
  for (const std::string& absent : vocabulary) {
    if (std::find(mentioned.begin(), mentioned.end(), absent) != mentioned.end()) continue;
    if (style == DistractorStyle::kPaper) {
      std::vector<std::string> at_start = mentioned;
      at_start.front() = absent;
      lists.push_back(at_start);
    }
    std::vector<std::string> at_end = mentioned;
    at_end.back() = absent;
    lists.push_back(at_end);
  }
  return lists;
}

void run_matching(model::Encoder& encoder, const SceneSet& scenes, const MatchingOptions& options,
                  MetricCollector& collector, CsvTable& samples) {
  if (!encoder.has_text_tower() || !encoder.has_image_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" needs both towers for matching; drop matching from --experiments",
         encoder.identity().value("name", std::string("?")));
  }
  if (scenes.images.empty()) {
    fail(ErrorKind::kInvalidArgument, "scene set \"{}\" has no images, so matching cannot run; pass a dataset with images",
         scenes.folder.string());
  }
  for (const std::string& aggregation : options.aggregations) {
    if (aggregation != "sum" && aggregation != "mean") {
      fail(ErrorKind::kInvalidArgument, "unknown aggregation \"{}\"; use sum or mean", aggregation);
    }
  }

  // object lists per image and scenario, and every text they need
  std::vector<std::filesystem::path> files;
  std::map<std::pair<size_t, int>, std::vector<std::vector<std::string>>> lists;
  TextTable texts;
  for (size_t i = 0; i < scenes.images.size(); ++i) {
    const SceneImage& image = scenes.images[i];
    files.push_back(image.file);
    std::vector<std::string> others;
    for (size_t slot = 0; slot < image.objects.size(); ++slot) {
      if (static_cast<int64_t>(slot) != image.large_slot) others.push_back(image.objects[slot]);
    }
    const std::string& large = image.objects[static_cast<size_t>(image.large_slot)];
    std::vector<std::string> scenario_one{large};
    scenario_one.insert(scenario_one.end(), others.begin(), others.end());
    std::vector<std::string> scenario_two = others;
    scenario_two.push_back(large);
    for (int scenario : {1, 2}) {
      auto& entry = lists[{i, scenario}];
      entry = matching_object_lists(scenario == 1 ? scenario_one : scenario_two, scenes.objects, options.distractors);
      for (const auto& objects : entry) texts.request(joined_phrases(objects, options.article));
    }
  }
  for (const std::string& name : scenes.objects) texts.request(object_phrase(name, options.article));
  texts.encode(encoder, "matching captions");
  torch::Tensor images = detail::l2_normalize(detail::encode_images_batched(encoder, files, "matching images"));

  samples.header = {"image", "scenario", "aggregation", "correct_caption", "best_distractor", "correct_score",
                    "best_distractor_score", "success"};
  std::vector<std::string> modes{"none"};
  modes.insert(modes.end(), options.aggregations.begin(), options.aggregations.end());
  for (int scenario : {1, 2}) {
    std::map<std::string, std::vector<double>> outcomes;
    double chance_sum = 0;  // per image, 1 / (correct caption + its distractors)
    for (size_t i = 0; i < scenes.images.size(); ++i) {
      const auto& entry = lists[{i, scenario}];
      chance_sum += 1.0 / static_cast<double>(entry.size());
      torch::Tensor image = images[static_cast<int64_t>(i)];  // [D]
      for (const std::string& mode : modes) {
        std::vector<double> scores;
        for (const auto& objects : entry) {
          torch::Tensor caption;
          if (mode == "none") {
            caption = texts.row(joined_phrases(objects, options.article));
          } else {
            std::vector<torch::Tensor> parts;
            for (const std::string& name : objects) parts.push_back(texts.row(object_phrase(name, options.article)));
            caption = torch::stack(parts).sum(0);
            if (mode == "mean") caption = caption / static_cast<double>(parts.size());
          }
          scores.push_back(torch::dot(image, detail::l2_normalize(caption.unsqueeze(0))[0]).item<double>());
        }
        auto best = std::max_element(scores.begin() + 1, scores.end());
        bool success = best == scores.end() || scores[0] > *best;  // strict: a tie is a failure
        outcomes[mode].push_back(success ? 1.0 : 0.0);
        size_t best_index = best == scores.end() ? 0 : static_cast<size_t>(best - scores.begin());
        samples.rows.push_back({scenes.images[i].file.string(), std::to_string(scenario), mode,
                                joined_phrases(entry[0], options.article),
                                best_index ? joined_phrases(entry[best_index], options.article) : "",
                                fmt::format("{:.6f}", scores[0]),
                                best_index ? fmt::format("{:.6f}", scores[best_index]) : "", success ? "1" : "0"});
      }
    }
    // images with more objects have fewer absent objects and so fewer distractors: average per image
    const double chance = chance_sum / static_cast<double>(scenes.images.size());
    for (const std::string& mode : modes) {
      collector.add("matching", mode == "none" ? "base" : "per_object", "accuracy",
                    {{"scenario", scenario}, {"aggregation", mode}}, outcomes[mode], chance);
    }
    for (const std::string& aggregation : options.aggregations) {
      collector.compare("matching", "accuracy", {{"scenario", scenario}, {"aggregation", aggregation}}, "base",
                        outcomes["none"], "per_object", outcomes[aggregation]);
    }
  }
}

}  // namespace clipscope::experiments
