#include "clipscope/experiments/coco_retrieval.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "clipscope/error.h"
#include "clipscope/image/decode.h"
#include "clipscope/image/png_writer.h"
#include "clipscope/image/resample.h"
#include "clipscope/log.h"
#include "retrieval_evaluation.h"
#include "similarity.h"
#include "temporary_folder.h"

namespace clipscope::experiments {
namespace {

using detail::RetrievalOutcome;
using detail::RetrievalSample;

// Largest side of a reference crop file, in pixels.
// NOTE: larger crops are shrunk with bicubic resampling before the encoder's own resize, so the
// model sees a crop resampled twice. This keeps PNG encoding of the temporary files fast (large
// crops took most of coco-ior's time) and changes pixels only slightly for 224-pixel models.
constexpr int kMaxCropSide = 448;

double choose(int64_t total, int64_t picked) {
  return std::exp(std::lgamma(total + 1.0) - std::lgamma(picked + 1.0) - std::lgamma(total - picked + 1.0));
}

std::string model_name(const model::Encoder& encoder) { return encoder.identity().value("name", std::string("?")); }

// The order of a sample's objects: caption position (text) or size rank (images).
struct OrderKind {
  std::string key;           // label key: "position" or "size_rank"
  std::string top1_metric;   // top-1 name is the object at that place
  std::string most_similar;  // most similar present object is at that place
  bool size_roles = false;   // also the large/small size-role rates
};

const OrderKind kCaptionOrder{"position", "top1_position_rate", "most_similar_position_rate", false};
const OrderKind kSizeOrder{"size_rank", "top1_size_rank_rate", "most_similar_size_rank_rate", true};

// Scores every sample against its similarity row, each with the P@k/R@k cut-offs of its object count.
std::vector<RetrievalOutcome> evaluate_samples(const std::vector<std::vector<float>>& rows,
                                               const std::vector<RetrievalSample>& samples,
                                               const std::vector<std::string>& names) {
  const auto vocabulary_size = static_cast<int64_t>(names.size());
  std::vector<RetrievalOutcome> outcomes(samples.size());
  std::map<int64_t, std::vector<size_t>> by_count;
  for (size_t i = 0; i < samples.size(); ++i) by_count[static_cast<int64_t>(samples[i].objects.size())].push_back(i);
  for (const auto& [n, members] : by_count) {
    std::vector<std::vector<float>> group_rows;
    std::vector<RetrievalSample> group;
    for (size_t i : members) {
      group_rows.push_back(rows[i]);
      group.push_back(samples[i]);
    }
    std::vector<RetrievalOutcome> scored =
        detail::evaluate_retrieval(group_rows, group, names, Compat::kPaper, detail::cutoffs(n, vocabulary_size));
    for (size_t j = 0; j < members.size(); ++j) outcomes[members[j]] = std::move(scored[j]);
  }
  return outcomes;
}

// Adds the records of one group of samples with `n` objects each.
void add_count_metrics(MetricCollector& collector, const std::string& experiment, const std::string& variant,
                       const OrderKind& order, int64_t n, int64_t vocabulary_size,
                       const std::vector<const RetrievalOutcome*>& outcomes) {
  const auto V = static_cast<double>(vocabulary_size);
  const auto count = static_cast<double>(n);
  const nlohmann::json base{{"n", n}};
  auto labels = [&](const nlohmann::json& extra) {
    nlohmann::json merged = base;
    merged.update(extra);
    return merged;
  };
  auto collect = [&](auto value_of) {
    std::vector<double> values;
    for (const RetrievalOutcome* outcome : outcomes) values.push_back(value_of(*outcome));
    return values;
  };

  collector.add(experiment, variant, "top_n_accuracy", base,
                collect([](const RetrievalOutcome& o) { return o.topn_correct ? 1.0 : 0.0; }),
                1.0 / choose(vocabulary_size, n));

  // rates per position or rank, over all samples and over samples with a correct top-n
  for (int64_t place = 0; place < n; ++place) {
    std::vector<double> given;
    for (const RetrievalOutcome* outcome : outcomes) {
      if (outcome->topn_correct) given.push_back(outcome->top1_slot == place ? 1.0 : 0.0);
    }
    collector.add(experiment, variant, order.top1_metric, labels({{order.key, place}, {"given", "all"}}),
                  collect([&](const RetrievalOutcome& o) { return o.top1_slot == place ? 1.0 : 0.0; }), 1.0 / V);
    collector.add(experiment, variant, order.top1_metric, labels({{order.key, place}, {"given", "topn_correct"}}),
                  given, 1.0 / count);
    collector.add(experiment, variant, order.most_similar, labels({{order.key, place}}),
                  collect([&](const RetrievalOutcome& o) { return o.most_similar_slot == place ? 1.0 : 0.0; }),
                  1.0 / count);
  }

  // the largest object against the others (rank 0 is the large role)
  if (order.size_roles) {
    for (const std::string role : {"large", "small"}) {
      const bool large = role == "large";
      auto in_role = [&](int64_t rank) { return rank >= 0 && (rank == 0) == large; };
      std::vector<double> given;
      for (const RetrievalOutcome* outcome : outcomes) {
        if (outcome->topn_correct) given.push_back(in_role(outcome->top1_slot) ? 1.0 : 0.0);
      }
      const double role_count = large ? 1.0 : count - 1.0;
      collector.add(experiment, variant, "top1_size_role_rate", labels({{"size_role", role}, {"given", "all"}}),
                    collect([&](const RetrievalOutcome& o) { return in_role(o.top1_slot) ? 1.0 : 0.0; }),
                    role_count / V);
      collector.add(experiment, variant, "top1_size_role_rate",
                    labels({{"size_role", role}, {"given", "topn_correct"}}), given, role_count / count);
      collector.add(experiment, variant, "most_similar_size_role_rate", labels({{"size_role", role}}),
                    collect([&](const RetrievalOutcome& o) { return in_role(o.most_similar_slot) ? 1.0 : 0.0; }),
                    role_count / count);
    }
  }

  detail::add_set_and_ranking_metrics(collector, experiment, variant, n, vocabulary_size, outcomes,
                                      detail::cutoffs(n, vocabulary_size));
}

// Adds the records pooled over every object count: rates per place (over samples that have the
// place), size roles, mean average precision and NDCG. Chance averages each sample's own chance.
void add_pooled_metrics(MetricCollector& collector, const std::string& experiment, const std::string& variant,
                        const OrderKind& order, int64_t vocabulary_size, int64_t max_places,
                        const std::vector<RetrievalSample>& samples, const std::vector<RetrievalOutcome>& outcomes) {
  const auto V = static_cast<double>(vocabulary_size);
  for (int64_t place = 0; place < max_places; ++place) {
    std::vector<double> top1;
    std::vector<double> most_similar;
    double chance_sum = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
      const auto n = static_cast<int64_t>(samples[i].objects.size());
      if (n <= place) continue;
      top1.push_back(outcomes[i].top1_slot == place ? 1.0 : 0.0);
      most_similar.push_back(outcomes[i].most_similar_slot == place ? 1.0 : 0.0);
      chance_sum += 1.0 / static_cast<double>(n);
    }
    if (top1.empty()) continue;
    collector.add(experiment, variant, order.top1_metric, {{order.key, place}, {"given", "all"}}, top1, 1.0 / V);
    collector.add(experiment, variant, order.most_similar, {{order.key, place}}, most_similar,
                  chance_sum / static_cast<double>(top1.size()));
  }

  if (order.size_roles) {
    for (const std::string role : {"large", "small"}) {
      const bool large = role == "large";
      std::vector<double> top1;
      std::vector<double> most_similar;
      double top1_chance = 0;
      double most_similar_chance = 0;
      for (size_t i = 0; i < samples.size(); ++i) {
        const auto n = static_cast<double>(samples[i].objects.size());
        const double role_count = large ? 1.0 : n - 1.0;
        auto in_role = [&](int64_t rank) { return rank >= 0 && (rank == 0) == large; };
        top1.push_back(in_role(outcomes[i].top1_slot) ? 1.0 : 0.0);
        most_similar.push_back(in_role(outcomes[i].most_similar_slot) ? 1.0 : 0.0);
        top1_chance += role_count / V;
        most_similar_chance += role_count / n;
      }
      const auto total = static_cast<double>(samples.size());
      collector.add(experiment, variant, "top1_size_role_rate", {{"size_role", role}, {"given", "all"}}, top1,
                    top1_chance / total);
      collector.add(experiment, variant, "most_similar_size_role_rate", {{"size_role", role}}, most_similar,
                    most_similar_chance / total);
    }
  }

  std::vector<double> average_precision;
  std::vector<double> ndcg;
  for (const RetrievalOutcome& outcome : outcomes) {
    average_precision.push_back(outcome.average_precision);
    ndcg.push_back(outcome.ndcg);
  }
  collector.add(experiment, variant, "map", nlohmann::json::object(), average_precision, std::nullopt);
  collector.add(experiment, variant, "ndcg", nlohmann::json::object(), ndcg, std::nullopt);
}

// Adds every record of an experiment: per object count up to max_objects, then pooled.
void add_metrics(MetricCollector& collector, const std::string& experiment, const std::string& variant,
                 const OrderKind& order, int64_t vocabulary_size, int64_t max_objects,
                 const std::vector<RetrievalSample>& samples, const std::vector<RetrievalOutcome>& outcomes) {
  std::map<int64_t, std::vector<const RetrievalOutcome*>> by_count;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto n = static_cast<int64_t>(samples[i].objects.size());
    if (n <= max_objects) by_count[n].push_back(&outcomes[i]);
  }
  for (const auto& [n, group] : by_count) {
    add_count_metrics(collector, experiment, variant, order, n, vocabulary_size, group);
  }
  add_pooled_metrics(collector, experiment, variant, order, vocabulary_size, max_objects, samples, outcomes);
}

std::vector<std::string> top_names(const RetrievalOutcome& outcome, size_t n, const std::vector<std::string>& names) {
  std::vector<std::string> top;
  for (size_t r = 0; r < n && r < outcome.ranking.size(); ++r) top.push_back(names[static_cast<size_t>(outcome.ranking[r])]);
  return top;
}

void check_max_objects(const CocoRetrievalOptions& options) {
  if (options.max_objects < 2) {
    fail(ErrorKind::kInvalidArgument, "max objects {} is below 2; pass --max-objects 2 or more", options.max_objects);
  }
}

// Scores `images` against target embeddings and adds the size-rank records and sample rows.
// `rows[i]` is image i's similarity to every vocabulary entry.
void score_images(const std::string& experiment, const std::string& variant, const std::vector<ImageObjects>& images,
                  const std::vector<std::vector<float>>& rows, const std::vector<std::string>& names,
                  const CocoRetrievalOptions& options, MetricCollector& collector, CsvTable& samples) {
  std::vector<RetrievalSample> retrieval;
  for (const ImageObjects& image : images) {
    RetrievalSample sample;
    for (const ImageObject& object : image.objects) sample.objects.push_back(detail::vocabulary_index(names, object.category));
    sample.relevant = relevance_by_identity(sample.objects, static_cast<int64_t>(names.size()));
    sample.large_slot = 0;
    retrieval.push_back(std::move(sample));
  }
  const std::vector<RetrievalOutcome> outcomes = evaluate_samples(rows, retrieval, names);
  add_metrics(collector, experiment, variant, kSizeOrder, static_cast<int64_t>(names.size()), options.max_objects,
              retrieval, outcomes);

  samples.header = {"image_id", "image", "n", "objects", "areas", "top_names", "top1_size_rank",
                    "most_similar_size_rank", "topn_correct", "average_precision", "ndcg"};
  for (size_t i = 0; i < images.size(); ++i) {
    std::vector<std::string> objects;
    std::vector<std::string> areas;
    for (const ImageObject& object : images[i].objects) {
      objects.push_back(object.category);
      areas.push_back(fmt::format("{:.0f}", object.area));
    }
    const RetrievalOutcome& outcome = outcomes[i];
    samples.rows.push_back({std::to_string(images[i].image_id), images[i].file.filename().string(),
                            std::to_string(objects.size()), detail::join(objects, "|"), detail::join(areas, "|"),
                            detail::join(top_names(outcome, objects.size(), names), "|"),
                            std::to_string(outcome.top1_slot), std::to_string(outcome.most_similar_slot),
                            outcome.topn_correct ? "1" : "0", fmt::format("{:.6f}", outcome.average_precision),
                            fmt::format("{:.6f}", outcome.ndcg)});
  }
}

}  // namespace

std::vector<CaptionObjects> multi_object_captions(const std::vector<CaptionObjects>& captions) {
  std::vector<CaptionObjects> result;
  for (const CaptionObjects& caption : captions) {
    if (caption.objects.size() >= 2) result.push_back(caption);
  }
  return result;
}

std::vector<ImageObjects> multi_object_images(const std::vector<ImageObjects>& images) {
  std::vector<ImageObjects> result;
  for (const ImageObjects& image : images) {
    if (image.objects.size() >= 2) result.push_back(image);
  }
  return result;
}

void run_coco_tor(model::Encoder& encoder, const std::vector<CaptionObjects>& captions,
                  const std::vector<std::string>& categories, const CocoRetrievalOptions& options,
                  MetricCollector& collector, CsvTable& samples) {
  if (!encoder.has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" has no text tower, so coco-tor cannot run; drop it from --experiments",
         model_name(encoder));
  }
  check_max_objects(options);
  if (captions.empty()) {
    fail(ErrorKind::kInvalidArgument, "no caption mentions two annotated categories, so coco-tor has no sample");
  }

  // similarity of every caption to every bare category name
  const torch::Tensor names = encoder.encode_texts(categories);  // [V, D]
  std::vector<std::string> texts;
  for (const CaptionObjects& caption : captions) texts.push_back(caption.caption);
  const torch::Tensor embeddings = detail::encode_texts_batched(encoder, texts, "coco-tor captions");  // [N, D]
  const std::vector<std::vector<float>> rows = detail::cosine_rows(embeddings, names);

  std::vector<RetrievalSample> retrieval;
  for (const CaptionObjects& caption : captions) {
    RetrievalSample sample;
    for (const CaptionObject& object : caption.objects) sample.objects.push_back(detail::vocabulary_index(categories, object.category));
    sample.relevant = relevance_by_identity(sample.objects, static_cast<int64_t>(categories.size()));
    retrieval.push_back(std::move(sample));
  }
  const std::vector<RetrievalOutcome> outcomes = evaluate_samples(rows, retrieval, categories);
  add_metrics(collector, "coco-tor", "captions", kCaptionOrder, static_cast<int64_t>(categories.size()),
              options.max_objects, retrieval, outcomes);

  samples.header = {"caption_id", "image_id", "n", "caption", "objects", "top_names", "top1_position",
                    "most_similar_position", "topn_correct", "average_precision", "ndcg"};
  for (size_t i = 0; i < captions.size(); ++i) {
    std::vector<std::string> objects;
    for (const CaptionObject& object : captions[i].objects) objects.push_back(object.category);
    const RetrievalOutcome& outcome = outcomes[i];
    samples.rows.push_back({std::to_string(captions[i].caption_id), std::to_string(captions[i].image_id),
                            std::to_string(objects.size()), captions[i].caption, detail::join(objects, "|"),
                            detail::join(top_names(outcome, objects.size(), categories), "|"),
                            std::to_string(outcome.top1_slot), std::to_string(outcome.most_similar_slot),
                            outcome.topn_correct ? "1" : "0", fmt::format("{:.6f}", outcome.average_precision),
                            fmt::format("{:.6f}", outcome.ndcg)});
  }
}

void run_coco_i2tor(model::Encoder& encoder, const std::vector<ImageObjects>& images,
                    const std::vector<std::string>& categories, const CocoRetrievalOptions& options,
                    MetricCollector& collector, CsvTable& samples) {
  if (!encoder.has_image_tower() || !encoder.has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" lacks the image or the text tower that coco-i2tor needs; drop it "
         "from --experiments", model_name(encoder));
  }
  check_max_objects(options);
  const size_t slot = options.text_template.find("{}");
  if (slot == std::string::npos) {
    fail(ErrorKind::kInvalidArgument, "coco-i2tor text template \"{}\" has no {{}} for the category name",
         options.text_template);
  }
  if (images.empty()) {
    fail(ErrorKind::kInvalidArgument, "no image has two annotated categories, so coco-i2tor has no sample");
  }

  std::vector<std::string> texts;
  for (const std::string& name : categories) {
    std::string text = options.text_template;
    texts.push_back(text.replace(slot, 2, name));
  }
  const torch::Tensor targets = encoder.encode_texts(texts);  // [V, D]
  std::vector<std::filesystem::path> files;
  for (const ImageObjects& image : images) files.push_back(image.file);
  const torch::Tensor embeddings = detail::encode_images_batched(encoder, files, "coco-i2tor images");  // [N, D]
  score_images("coco-i2tor", "names", images, detail::cosine_rows(embeddings, targets), categories, options,
               collector, samples);
}

void run_coco_ior(model::Encoder& encoder, const io::CocoDataset& dataset, const std::vector<ImageObjects>& images,
                  AreaSource area_source, const CocoRetrievalOptions& options, MetricCollector& collector,
                  CsvTable& samples) {
  if (!encoder.has_image_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" has no image tower, so coco-ior cannot run; drop it from --experiments",
         model_name(encoder));
  }
  check_max_objects(options);
  const std::map<int64_t, ReferenceInstances> references = choose_reference_instances(dataset, area_source);

  // vocabulary: every category with a reference crop, in category id order
  std::vector<std::string> names;
  std::vector<int64_t> category_ids;
  for (const auto& [category_id, entry] : references) {
    category_ids.push_back(category_id);
    names.push_back(dataset.category(category_id).name);
  }

  // images whose every category has a crop from another image
  std::vector<ImageObjects> used;
  for (const ImageObjects& image : images) {
    const bool covered = std::all_of(image.objects.begin(), image.objects.end(), [&](const ImageObject& object) {
      return reference_for_image(references, object.category_id, image.image_id).has_value();
    });
    if (covered) used.push_back(image);
  }
  if (used.empty()) {
    fail(ErrorKind::kInvalidArgument, "no image with two annotated categories has, for each of them, a reference "
         "instance in another image, so coco-ior has no sample; use a larger COCO folder");
  }
  log::info("coco-ior: {} of {} images have reference crops from other images for all their objects", used.size(),
            images.size());

  // crops of every primary and secondary instance, written where the encoder can read them
  std::vector<int64_t> crop_annotations;
  for (const auto& [category_id, entry] : references) {
    crop_annotations.push_back(entry.primary);
    if (entry.secondary >= 0) crop_annotations.push_back(entry.secondary);
  }
  std::map<int64_t, const io::CocoAnnotation*> annotation_by_id;
  for (const io::CocoAnnotation& annotation : dataset.annotations) annotation_by_id[annotation.id] = &annotation;
  std::map<int64_t, std::vector<int64_t>> crops_by_image;
  for (int64_t id : crop_annotations) crops_by_image[annotation_by_id.at(id)->image_id].push_back(id);

  const detail::TemporaryFolder folder("clipscope-coco-crops");
  std::vector<std::filesystem::path> crop_files;
  std::map<int64_t, size_t> crop_row;  // annotation id -> row of crop_embeddings
  for (const auto& [image_id, annotation_ids] : crops_by_image) {
    const io::CocoImage& record = dataset.image(image_id);
    const image::Image decoded = image::decode_image(coco_image_path(dataset, record));
    for (int64_t id : annotation_ids) {
      const std::filesystem::path file = folder.path() / fmt::format("{}.png", id);
      image::Image crop = reference_crop(*annotation_by_id.at(id), record, decoded);
      if (crop.width > kMaxCropSide) crop = image::resize(crop, kMaxCropSide, kMaxCropSide, image::Filter::kBicubic);
      image::write_png(file, crop);
      crop_row[id] = crop_files.size();
      crop_files.push_back(file);
    }
  }
  const torch::Tensor crop_embeddings =
      detail::l2_normalize(detail::encode_images_batched(encoder, crop_files, "coco-ior references"));  // [C, D]

  // per image: the crop of every category, the image's own categories from other images
  std::vector<std::filesystem::path> files;
  for (const ImageObjects& image : used) files.push_back(image.file);
  const torch::Tensor embeddings =
      detail::l2_normalize(detail::encode_images_batched(encoder, files, "coco-ior images"));  // [N, D]
  const torch::Tensor similarity = torch::matmul(embeddings, crop_embeddings.t()).contiguous();  // [N, C]
  const auto scores = similarity.accessor<float, 2>();
  std::vector<std::vector<float>> rows(used.size(), std::vector<float>(names.size()));
  for (size_t i = 0; i < used.size(); ++i) {
    for (size_t v = 0; v < names.size(); ++v) {
      const int64_t annotation = *reference_for_image(references, category_ids[v], used[i].image_id);
      rows[i][v] = scores[static_cast<int64_t>(i)][static_cast<int64_t>(crop_row.at(annotation))];
    }
  }
  score_images("coco-ior", "reference_crops", used, rows, names, options, collector, samples);
}

}  // namespace clipscope::experiments
