#include "clipscope/experiments/tor.h"

#include "clipscope/error.h"
#include "clipscope/log.h"
#include "retrieval_evaluation.h"
#include "similarity.h"

namespace clipscope::experiments {
namespace {

struct VariantCaptions {
  std::string name;
  std::vector<Caption> captions;
  bool sum = false;  ///< Embed as the sum of the single-name embeddings.
};

std::vector<Caption> size_captions(const Vocabulary& vocabulary, int64_t n, SizeCategory first,
                                   const TorOptions& options, uint64_t seed, const CaptionStyle& style) {
  std::vector<int64_t> first_pool;
  std::vector<int64_t> medium_pool;
  for (size_t i = 0; i < vocabulary.names.size(); ++i) {
    SizeCategory category = coco_size_category(vocabulary.names[i]);
    if (category == first) first_pool.push_back(static_cast<int64_t>(i));
    if (category == SizeCategory::kMedium) medium_pool.push_back(static_cast<int64_t>(i));
  }
  std::vector<Caption> captions;
  if (first_pool.empty() || static_cast<int64_t>(medium_pool.size()) < n - 1) return captions;
  for (auto& tuple : object_tuples(first_pool, medium_pool, n, options.max_captions, seed)) {
    std::string text = caption_text(vocabulary, tuple, style, captions.size());
    captions.push_back({std::move(tuple), std::move(text)});
  }
  return captions;
}

}  // namespace

std::vector<std::string> tor_samples_header() {
  return {"variant", "n", "caption", "objects", "top_names", "top1_position", "topn_correct",
          "average_precision", "ndcg"};
}

void run_tor(model::Encoder& encoder, const Vocabulary& vocabulary, const TorOptions& options, Compat compat,
             uint64_t seed, MetricCollector& collector, CsvTable& samples) {
  if (!encoder.has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model \"{}\" has no text tower, so TOR cannot run; drop tor from --experiments",
         encoder.identity().value("name", std::string("?")));
  }
  samples.header = tor_samples_header();
  auto vocabulary_size = static_cast<int64_t>(vocabulary.names.size());
  torch::Tensor names = detail::l2_normalize(encoder.encode_texts(vocabulary.names));  // [V, D]
  bool coco = vocabulary.name == "coco80" || vocabulary.name == "coco90";

  for (int64_t n : options.object_counts) {
    // caption sets of every variant for this object count
    CaptionStyle plain_style{options.article, {}};
    std::vector<VariantCaptions> variants;
    variants.push_back({"plain", make_captions(vocabulary, n, options.max_captions, seed, plain_style), false});
    if (options.template_variant) {
      CaptionStyle long_style{options.article,
                              options.templates.empty() ? std::vector<std::string>{builtin_long_template()}
                                                        : options.templates};
      variants.push_back({"template", make_captions(vocabulary, n, options.max_captions, seed, long_style), false});
    }
    if (options.sum_variant) variants.push_back({"sum", variants.front().captions, true});
    if (options.size_variants && coco && n >= 2) {
      variants.push_back({"size_large_first",
                          size_captions(vocabulary, n, SizeCategory::kLarge, options, seed, plain_style), false});
      variants.push_back({"size_small_first",
                          size_captions(vocabulary, n, SizeCategory::kSmall, options, seed, plain_style), false});
    }

    std::vector<double> plain_first;
    for (const VariantCaptions& variant : variants) {
      if (variant.captions.empty()) continue;

      torch::Tensor embeddings;  // [C, D]
      if (variant.sum) {
        std::vector<torch::Tensor> rows;
        for (const Caption& caption : variant.captions) {
          torch::Tensor indices = torch::tensor(caption.objects, torch::kLong);
          rows.push_back(names.index_select(0, indices).sum(0));
        }
        embeddings = torch::stack(rows);
      } else {
        std::vector<std::string> texts;
        for (const Caption& caption : variant.captions) texts.push_back(caption.text);
        embeddings = detail::encode_texts_batched(encoder, texts, fmt::format("TOR {} n={}", variant.name, n));
      }
      std::vector<std::vector<float>> rows = detail::cosine_rows(embeddings, names);

      std::vector<detail::RetrievalSample> retrieval_samples;
      for (const Caption& caption : variant.captions) {
        detail::RetrievalSample sample;
        sample.objects = caption.objects;
        if (compat == Compat::kReference) {
          sample.relevant = relevance_by_substring(caption.text, vocabulary.names);
          for (int64_t index : caption.objects) sample.slot_names.push_back(vocabulary.names[static_cast<size_t>(index)]);
        } else {
          sample.relevant = relevance_by_identity(caption.objects, vocabulary_size);
        }
        retrieval_samples.push_back(std::move(sample));
      }
      std::vector<int64_t> ks = detail::cutoffs(n, vocabulary_size);
      std::vector<detail::RetrievalOutcome> outcomes =
          detail::evaluate_retrieval(rows, retrieval_samples, vocabulary.names, compat, ks);
      detail::add_retrieval_metrics(collector, "tor", variant.name, n, vocabulary_size, "position",
                                    retrieval_samples, outcomes, ks);

      // per-sample rows
      std::vector<double> first_hits;
      for (size_t i = 0; i < outcomes.size(); ++i) {
        const Caption& caption = variant.captions[i];
        std::vector<std::string> objects;
        for (int64_t index : caption.objects) objects.push_back(vocabulary.names[static_cast<size_t>(index)]);
        std::vector<std::string> top;
        for (int64_t j = 0; j < n; ++j) top.push_back(vocabulary.names[static_cast<size_t>(outcomes[i].ranking[j])]);
        samples.rows.push_back({variant.name, std::to_string(n), caption.text, detail::join(objects, "|"),
                                detail::join(top, "|"), std::to_string(outcomes[i].top1_slot),
                                outcomes[i].topn_correct ? "1" : "0", fmt::format("{:.6f}", outcomes[i].average_precision),
                                fmt::format("{:.6f}", outcomes[i].ndcg)});
        first_hits.push_back(outcomes[i].top1_slot == 0 ? 1.0 : 0.0);
      }
      if (variant.name == "plain") plain_first = first_hits;
      if (variant.name == "sum") {
        collector.compare("tor", "top1_position_rate", {{"n", n}, {"position", 0}, {"given", "all"}}, "plain",
                          plain_first, "sum", first_hits);
      }
    }
  }
}

}  // namespace clipscope::experiments
