#include "clipscope/experiments/coco_matching.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "clipscope/error.h"
#include "clipscope/experiments/coco_caption_edits.h"
#include "similarity.h"

namespace clipscope::experiments {
namespace {

// Label value of each scenario in the metric records, in kMatchingScenarios order.
nlohmann::json scenario_label(size_t scenario) {
  if (scenario == 1) return 1;
  if (scenario == 2) return 2;
  return "as_written";
}

// Object order of each scenario, in kMatchingScenarios order.
std::array<std::vector<size_t>, 3> scenario_orders(size_t count, size_t largest) {
  std::vector<size_t> written(count);
  for (size_t i = 0; i < count; ++i) written[i] = i;
  return {written, order_with_largest(count, largest, true), order_with_largest(count, largest, false)};
}

// The caption with phrases[order[i]] in the place of object i.
std::string arrange(const std::string& caption, const std::vector<ObjectSpan>& spans,
                    const std::vector<std::string>& phrases, const std::vector<size_t>& order) {
  std::vector<std::string> placed;
  for (size_t index : order) placed.push_back(phrases[index]);
  return compose_caption(caption, spans, placed);
}

}  // namespace

std::vector<CocoMatchingCaption> build_matching_captions(const std::vector<CaptionObjects>& captions,
                                                         const MentionMatcher& matcher,
                                                         const std::vector<ImageObjects>& images,
                                                         const std::vector<std::string>& categories,
                                                         const CocoMatchingOptions& options) {
  if (options.distractors < 1) {
    fail(ErrorKind::kInvalidArgument, "distractor count {} is below 1; pass --matching-distractors 1 or more",
         options.distractors);
  }
  std::map<int64_t, const ImageObjects*> image_by_id;
  for (const ImageObjects& image : images) image_by_id[image.image_id] = &image;

  std::vector<CocoMatchingCaption> result;
  for (const CaptionObjects& caption : captions) {
    if (caption.objects.size() < 2) continue;
    auto image = image_by_id.find(caption.image_id);
    if (image == image_by_id.end()) continue;
    const ImageObjects& objects = *image->second;

    CocoMatchingCaption entry;
    entry.caption_id = caption.caption_id;
    entry.image_id = caption.image_id;
    entry.image = objects.file;
    for (const CaptionObject& object : caption.objects) entry.objects.push_back(object.category);

    // largest: the caption object with the best rank in the image
    size_t best_rank = objects.objects.size();
    for (size_t i = 0; i < entry.objects.size(); ++i) {
      for (size_t rank = 0; rank < objects.objects.size(); ++rank) {
        if (objects.objects[rank].category == entry.objects[i] && rank < best_rank) {
          best_rank = rank;
          entry.largest = i;
        }
      }
    }

    // categories neither annotated nor mentioned
    const std::vector<Mention> mentions = matcher.find(caption.caption);
    std::set<std::string> present;
    for (const ImageObject& object : objects.objects) present.insert(object.category);
    for (const Mention& mention : mentions) present.insert(mention.category);
    std::vector<std::string> absent;
    for (const std::string& name : categories) {
      if (present.count(name) == 0) absent.push_back(name);
    }
    if (static_cast<int64_t>(absent.size()) < options.distractors) continue;

    // seeded draws, shared by every scenario
    std::mt19937_64 random(options.seed ^ (static_cast<uint64_t>(caption.caption_id) * 0x9E3779B97F4A7C15ULL));
    std::shuffle(absent.begin(), absent.end(), random);
    absent.resize(static_cast<size_t>(options.distractors));
    std::uniform_int_distribution<size_t> pick(0, entry.objects.size() - 1);
    for (size_t d = 0; d < absent.size(); ++d) entry.replaced.push_back(pick(random));
    entry.absent = absent;

    const std::vector<ObjectSpan> spans = movable_spans(caption.caption, mentions, entry.objects);
    std::vector<std::string> phrases;
    for (const ObjectSpan& span : spans) phrases.push_back(caption.caption.substr(span.begin, span.end - span.begin));
    const auto orders = scenario_orders(entry.objects.size(), entry.largest);
    for (size_t scenario = 0; scenario < orders.size(); ++scenario) {
      entry.correct[scenario] = arrange(caption.caption, spans, phrases, orders[scenario]);
      for (size_t d = 0; d < entry.absent.size(); ++d) {
        std::vector<std::string> changed = phrases;
        changed[entry.replaced[d]] = replaced_phrase(caption.caption, spans[entry.replaced[d]], entry.absent[d]);
        entry.distractors[scenario].push_back(arrange(caption.caption, spans, changed, orders[scenario]));
      }
    }
    result.push_back(std::move(entry));
  }
  return result;
}

void run_coco_matching(model::Encoder& encoder, const std::vector<CocoMatchingCaption>& captions,
                       MetricCollector& collector, CsvTable& samples) {
  if (!encoder.has_image_tower() || !encoder.has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" lacks the image or the text tower that coco-matching needs; drop it "
         "from --experiments", encoder.identity().value("name", std::string("?")));
  }
  if (captions.empty()) {
    fail(ErrorKind::kInvalidArgument, "no caption mentions two annotated categories, so coco-matching has no sample");
  }

  // one embedding per image and per text
  std::vector<std::filesystem::path> files;
  std::map<int64_t, int64_t> image_row;
  for (const CocoMatchingCaption& caption : captions) {
    if (image_row.emplace(caption.image_id, static_cast<int64_t>(files.size())).second) files.push_back(caption.image);
  }
  std::vector<std::string> texts;
  for (const CocoMatchingCaption& caption : captions) {
    for (size_t scenario = 0; scenario < kMatchingScenarios.size(); ++scenario) {
      texts.push_back(caption.correct[scenario]);
      texts.insert(texts.end(), caption.distractors[scenario].begin(), caption.distractors[scenario].end());
    }
  }
  const torch::Tensor image_embeddings =
      detail::l2_normalize(detail::encode_images_batched(encoder, files, "coco-matching images"));  // [I, D]
  const torch::Tensor text_embeddings =
      detail::l2_normalize(detail::encode_texts_batched(encoder, texts, "coco-matching captions"));  // [T, D]

  samples.header = {"caption_id", "image_id", "n", "largest", "scenario", "correct_caption", "best_distractor",
                    "correct_score", "best_distractor_score", "success"};
  std::array<std::vector<double>, 3> success;
  int64_t text_row = 0;
  for (const CocoMatchingCaption& caption : captions) {
    const torch::Tensor image = image_embeddings[image_row.at(caption.image_id)];  // [D]
    for (size_t scenario = 0; scenario < kMatchingScenarios.size(); ++scenario) {
      const auto count = static_cast<int64_t>(1 + caption.distractors[scenario].size());
      const torch::Tensor scores = torch::mv(text_embeddings.narrow(0, text_row, count), image);  // [1 + distractors]
      text_row += count;
      const float correct = scores[0].item<float>();
      const int64_t best = scores.narrow(0, 1, count - 1).argmax().item<int64_t>();
      const float best_score = scores[1 + best].item<float>();
      const bool won = correct > best_score;
      success[scenario].push_back(won ? 1.0 : 0.0);
      samples.rows.push_back({std::to_string(caption.caption_id), std::to_string(caption.image_id),
                              std::to_string(caption.objects.size()), caption.objects[caption.largest],
                              kMatchingScenarios[scenario], caption.correct[scenario],
                              caption.distractors[scenario][static_cast<size_t>(best)],
                              fmt::format("{:.6f}", correct), fmt::format("{:.6f}", best_score), won ? "1" : "0"});
    }
  }

  const double chance = 1.0 / static_cast<double>(1 + captions.front().distractors[0].size());
  for (size_t scenario = 0; scenario < kMatchingScenarios.size(); ++scenario) {
    collector.add("coco-matching", "captions", "accuracy", {{"scenario", scenario_label(scenario)}},
                  success[scenario], chance);
  }
  collector.compare("coco-matching", "accuracy", nlohmann::json::object(), kMatchingScenarios[2], success[2],
                    kMatchingScenarios[1], success[1]);
}

}  // namespace clipscope::experiments
