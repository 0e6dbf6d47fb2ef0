#include "clipscope/experiments/image_retrieval.h"

#include <algorithm>
#include <map>

#include "clipscope/error.h"
#include "retrieval_evaluation.h"
#include "similarity.h"

namespace clipscope::experiments {
namespace {

void require_image_tower(model::Encoder& encoder, const std::string& experiment) {
  if (!encoder.has_image_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" has no image tower, so {} cannot run; drop it from --experiments",
         encoder.identity().value("name", std::string("?")), experiment);
  }
}

// Scores every scene image against `targets` [V, D] and adds metrics grouped by object count.
void evaluate_scenes(model::Encoder& encoder, const SceneSet& scenes, const torch::Tensor& targets,
                     const std::string& experiment, const std::string& variant, Compat compat,
                     MetricCollector& collector, CsvTable& samples) {
  std::vector<std::filesystem::path> files;
  for (const SceneImage& image : scenes.images) files.push_back(image.file);
  torch::Tensor embeddings = detail::encode_images_batched(encoder, files, experiment + " scenes");  // [I, D]
  std::vector<std::vector<float>> rows = detail::cosine_rows(embeddings, targets);
  auto vocabulary_size = static_cast<int64_t>(scenes.objects.size());

  std::map<int64_t, std::vector<size_t>> by_count;
  for (size_t i = 0; i < scenes.images.size(); ++i) by_count[scenes.images[i].objects.size()].push_back(i);

  samples.header = {"image", "objects", "large_slot", "top_names", "top1_slot", "most_similar_slot",
                    "topn_correct", "average_precision", "ndcg"};
  for (const auto& [n, members] : by_count) {
    std::vector<std::vector<float>> group_rows;
    std::vector<detail::RetrievalSample> group;
    for (size_t i : members) {
      const SceneImage& image = scenes.images[i];
      detail::RetrievalSample sample;
      for (const std::string& name : image.objects) sample.objects.push_back(detail::vocabulary_index(scenes.objects, name));
      sample.relevant = relevance_by_identity(sample.objects, vocabulary_size);
      sample.large_slot = image.large_slot;
      group.push_back(std::move(sample));
      group_rows.push_back(rows[i]);
    }
    std::vector<int64_t> ks = detail::cutoffs(n, vocabulary_size);
    std::vector<detail::RetrievalOutcome> outcomes =
        detail::evaluate_retrieval(group_rows, group, scenes.objects, compat, ks);
    detail::add_retrieval_metrics(collector, experiment, variant, n, vocabulary_size, "slot", group, outcomes, ks);

    for (size_t j = 0; j < members.size(); ++j) {
      const SceneImage& image = scenes.images[members[j]];
      std::vector<std::string> top;
      for (int64_t r = 0; r < n; ++r) top.push_back(scenes.objects[static_cast<size_t>(outcomes[j].ranking[r])]);
      samples.rows.push_back({image.file.string(), detail::join(image.objects, "|"), std::to_string(image.large_slot),
                              detail::join(top, "|"), std::to_string(outcomes[j].top1_slot),
                              std::to_string(outcomes[j].most_similar_slot), outcomes[j].topn_correct ? "1" : "0",
                              fmt::format("{:.6f}", outcomes[j].average_precision),
                              fmt::format("{:.6f}", outcomes[j].ndcg)});
    }
  }
}

}  // namespace

void run_ior(model::Encoder& encoder, const SceneSet& scenes, Compat compat, MetricCollector& collector,
             CsvTable& samples) {
  require_image_tower(encoder, "ior");
  std::vector<std::filesystem::path> references;
  for (const std::string& name : scenes.objects) {
    auto found = scenes.references.find(name);
    if (found == scenes.references.end()) {
      fail(ErrorKind::kNotFound, "dataset {} has no reference image for object \"{}\"; render single-object images",
           scenes.folder.string(), name);
    }
    references.push_back(found->second);
  }
  torch::Tensor targets = detail::encode_images_batched(encoder, references, "ior references");  // [V, D]
  evaluate_scenes(encoder, scenes, targets, "ior", "reference_images", compat, collector, samples);
}

void run_i2tor(model::Encoder& encoder, const SceneSet& scenes, const std::string& text_template, Compat compat,
               MetricCollector& collector, CsvTable& samples) {
  require_image_tower(encoder, "i2tor");
  if (!encoder.has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" has no text tower, so i2tor cannot run; drop it from --experiments",
         encoder.identity().value("name", std::string("?")));
  }
  size_t slot = text_template.find("{}");
  if (slot == std::string::npos) {
    fail(ErrorKind::kInvalidArgument, "I2TOR text template \"{}\" has no {{}} for the object name", text_template);
  }
  std::vector<std::string> texts;
  for (const std::string& name : scenes.objects) {
    std::string text = text_template;
    texts.push_back(text.replace(slot, 2, name));
  }
  torch::Tensor targets = encoder.encode_texts(texts);  // [V, D]
  evaluate_scenes(encoder, scenes, targets, "i2tor", "names", compat, collector, samples);
}

}  // namespace clipscope::experiments
