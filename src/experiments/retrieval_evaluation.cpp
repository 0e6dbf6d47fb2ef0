#include "retrieval_evaluation.h"

#include <algorithm>
#include <cmath>

#include "clipscope/error.h"

namespace clipscope::experiments::detail {
namespace {

double choose(int64_t total, int64_t picked) {
  return std::exp(std::lgamma(total + 1.0) - std::lgamma(picked + 1.0) - std::lgamma(total - picked + 1.0));
}

}  // namespace

int64_t vocabulary_index(const std::vector<std::string>& names, const std::string& name) {
  auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    fail(ErrorKind::kInvalidArgument, "object \"{}\" is not in the vocabulary of {} names", name, names.size());
  }
  return found - names.begin();
}

std::vector<int64_t> cutoffs(int64_t n, int64_t vocabulary_size) {
  std::vector<int64_t> ks;
  for (int64_t k = 1; k <= n; ++k) ks.push_back(k);
  for (int64_t k : {5, 10}) {
    if (k > n) ks.push_back(k);
  }
  ks.erase(std::remove_if(ks.begin(), ks.end(), [&](int64_t k) { return k > vocabulary_size; }), ks.end());
  return ks;
}

std::vector<RetrievalOutcome> evaluate_retrieval(const std::vector<std::vector<float>>& rows,
                                                 const std::vector<RetrievalSample>& samples,
                                                 const std::vector<std::string>& names, Compat compat,
                                                 const std::vector<int64_t>& ks) {
  std::vector<RetrievalOutcome> outcomes(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const RetrievalSample& sample = samples[i];
    RetrievalOutcome& outcome = outcomes[i];
    auto n = static_cast<int64_t>(sample.objects.size());
    outcome.ranking = rank_descending(rows[i]);

    outcome.top1_slot = position_of(sample.objects, outcome.ranking.front());
    if (compat == Compat::kReference && !sample.slot_names.empty()) {
      // NOTE: the reference scripts credit the top-1 name to the first slot whose name contains it,
      // so "dog" counts for the slot "hot dog" (ReferenceCompat tests pin this).
      const std::string& top1_name = names[static_cast<size_t>(outcome.ranking.front())];
      outcome.top1_slot = -1;
      for (size_t slot = 0; slot < sample.slot_names.size() && outcome.top1_slot < 0; ++slot) {
        if (sample.slot_names[slot].find(top1_name) != std::string::npos) outcome.top1_slot = static_cast<int64_t>(slot);
      }
    }

    float best = -2.0f;
    for (int64_t slot = 0; slot < n; ++slot) {
      float score = rows[i][static_cast<size_t>(sample.objects[static_cast<size_t>(slot)])];
      if (score > best) {
        best = score;
        outcome.most_similar_slot = slot;
      }
    }

    outcome.topn_correct = top_n_exact(outcome.ranking, sample.relevant, n);
    outcome.set = set_scores(outcome.ranking, sample.relevant, n);
    std::vector<int64_t> ranked = metric_ranking(outcome.ranking, compat);
    outcome.average_precision = average_precision(ranked, sample.relevant);
    outcome.ndcg = ndcg(ranked, sample.relevant);
    for (int64_t k : ks) {
      outcome.precision_at.push_back(precision_at_k(ranked, sample.relevant, k));
      outcome.recall_at.push_back(recall_at_k(ranked, sample.relevant, k));
    }
  }
  return outcomes;
}

void add_retrieval_metrics(MetricCollector& collector, const std::string& experiment, const std::string& variant,
                           int64_t n, int64_t vocabulary_size, const std::string& slot_key,
                           const std::vector<RetrievalSample>& samples,
                           const std::vector<RetrievalOutcome>& outcomes, const std::vector<int64_t>& ks) {
  auto V = static_cast<double>(vocabulary_size);
  auto count = static_cast<double>(n);
  bool images = slot_key == "slot";
  nlohmann::json base{{"n", n}};
  auto labels = [&](nlohmann::json extra) {
    nlohmann::json merged = base;
    merged.update(extra);
    return merged;
  };
  auto collect = [&](auto value_of) {
    std::vector<double> values;
    for (const auto& outcome : outcomes) values.push_back(value_of(outcome));
    return values;
  };

  collector.add(experiment, variant, "top_n_accuracy", base,
                collect([](const RetrievalOutcome& o) { return o.topn_correct ? 1.0 : 0.0; }),
                1.0 / choose(vocabulary_size, n));

  // top-1 rate per position or slot, over all samples and over samples with a correct top-n
  std::string top1_metric = images ? "top1_slot_rate" : "top1_position_rate";
  for (int64_t slot = 0; slot < n; ++slot) {
    std::vector<double> all = collect([&](const RetrievalOutcome& o) { return o.top1_slot == slot ? 1.0 : 0.0; });
    std::vector<double> given;
    for (const auto& outcome : outcomes) {
      if (outcome.topn_correct) given.push_back(outcome.top1_slot == slot ? 1.0 : 0.0);
    }
    collector.add(experiment, variant, top1_metric, labels({{slot_key, slot}, {"given", "all"}}), all, 1.0 / V);
    collector.add(experiment, variant, top1_metric, labels({{slot_key, slot}, {"given", "topn_correct"}}), given,
                  1.0 / count);
    if (images) {
      collector.add(experiment, variant, "most_similar_slot_rate", labels({{"slot", slot}}),
                    collect([&](const RetrievalOutcome& o) { return o.most_similar_slot == slot ? 1.0 : 0.0; }),
                    1.0 / count);
    }
  }

  if (images) {
    for (std::string role : {"large", "small"}) {
      bool large = role == "large";
      auto role_matches = [&](size_t i, int64_t slot) {
        return slot >= 0 && (slot == samples[i].large_slot) == large;
      };
      std::vector<double> all;
      std::vector<double> given;
      std::vector<double> most_similar;
      for (size_t i = 0; i < outcomes.size(); ++i) {
        double hit = role_matches(i, outcomes[i].top1_slot) ? 1.0 : 0.0;
        all.push_back(hit);
        if (outcomes[i].topn_correct) given.push_back(hit);
        most_similar.push_back(role_matches(i, outcomes[i].most_similar_slot) ? 1.0 : 0.0);
      }
      double role_count = large ? 1.0 : count - 1.0;
      collector.add(experiment, variant, "top1_size_role_rate", labels({{"size_role", role}, {"given", "all"}}),
                    all, role_count / V);
      collector.add(experiment, variant, "top1_size_role_rate",
                    labels({{"size_role", role}, {"given", "topn_correct"}}), given, role_count / count);
      collector.add(experiment, variant, "most_similar_size_role_rate", labels({{"size_role", role}}), most_similar,
                    role_count / count);
    }
  }

  std::vector<const RetrievalOutcome*> pointers;
  for (const RetrievalOutcome& outcome : outcomes) pointers.push_back(&outcome);
  add_set_and_ranking_metrics(collector, experiment, variant, n, vocabulary_size, pointers, ks);
}

void add_set_and_ranking_metrics(MetricCollector& collector, const std::string& experiment,
                                 const std::string& variant, int64_t n, int64_t vocabulary_size,
                                 const std::vector<const RetrievalOutcome*>& outcomes,
                                 const std::vector<int64_t>& ks) {
  const auto V = static_cast<double>(vocabulary_size);
  const auto count = static_cast<double>(n);
  const nlohmann::json base{{"n", n}};
  auto collect = [&](auto value_of) {
    std::vector<double> values;
    for (const RetrievalOutcome* outcome : outcomes) values.push_back(value_of(*outcome));
    return values;
  };

  collector.add(experiment, variant, "set_precision", base,
                collect([](const RetrievalOutcome& o) { return o.set.precision; }), count / V);
  collector.add(experiment, variant, "set_recall", base,
                collect([](const RetrievalOutcome& o) { return o.set.recall; }), count / V);
  collector.add(experiment, variant, "set_f1", base, collect([](const RetrievalOutcome& o) { return o.set.f1; }),
                count / V);
  collector.add(experiment, variant, "map", base,
                collect([](const RetrievalOutcome& o) { return o.average_precision; }), std::nullopt);
  collector.add(experiment, variant, "ndcg", base, collect([](const RetrievalOutcome& o) { return o.ndcg; }),
                std::nullopt);
  for (size_t j = 0; j < ks.size(); ++j) {
    const auto k = static_cast<double>(ks[j]);
    collector.add(experiment, variant, "precision_at_k", {{"n", n}, {"k", ks[j]}},
                  collect([&](const RetrievalOutcome& o) { return o.precision_at[j]; }), count / V);
    collector.add(experiment, variant, "recall_at_k", {{"n", n}, {"k", ks[j]}},
                  collect([&](const RetrievalOutcome& o) { return o.recall_at[j]; }), std::min(1.0, k / V));
  }
}

}  // namespace clipscope::experiments::detail
