#include "clipscope/train/caption_policy.h"

#include <algorithm>
#include <numeric>

#include "clipscope/error.h"
#include "json_fields.h"

namespace clipscope::train {

CaptionOrder parse_caption_order(std::string_view text) {
  if (text == "largest-first") return CaptionOrder::kLargestFirst;
  if (text == "random") return CaptionOrder::kRandom;
  if (text == "smallest-first") return CaptionOrder::kSmallestFirst;
  if (text == "slot") return CaptionOrder::kSlotOrder;
  fail(ErrorKind::kInvalidArgument,
       "unknown caption order '{}': use largest-first, random, smallest-first or slot", text);
}

std::string caption_order_name(CaptionOrder order) {
  switch (order) {
    case CaptionOrder::kLargestFirst:
      return "largest-first";
    case CaptionOrder::kRandom:
      return "random";
    case CaptionOrder::kSmallestFirst:
      return "smallest-first";
    case CaptionOrder::kSlotOrder:
      return "slot";
  }
  return "random";
}

CaptionPolicy caption_policy_from_json(const nlohmann::json& json) {
  CaptionPolicy policy;
  if (!json.is_object()) {
    fail(ErrorKind::kInvalidArgument, "the 'captions' settings must be a JSON object, got {}", json.dump());
  }
  detail::check_known_keys(json, "captions", {"order", "largest_first_probability", "article", "templates"});
  if (json.contains("order")) {
    policy.order = parse_caption_order(detail::read_field<std::string>(json, "captions", "order", ""));
  }
  policy.largest_first_probability =
      detail::read_field(json, "captions", "largest_first_probability", policy.largest_first_probability);
  if (policy.largest_first_probability < 0 || policy.largest_first_probability > 1) {
    fail(ErrorKind::kInvalidArgument, "captions.largest_first_probability must be in [0, 1], got {}",
         policy.largest_first_probability);
  }
  policy.article = detail::read_field(json, "captions", "article", policy.article);
  if (json.contains("templates")) {
    policy.templates = detail::read_field(json, "captions", "templates", policy.templates);
    if (policy.templates.empty()) {
      fail(ErrorKind::kInvalidArgument, "captions.templates is empty: give at least one template such as \"{{}}\"");
    }
    for (const auto& text : policy.templates) {
      if (text.find("{}") == std::string::npos) {
        fail(ErrorKind::kInvalidArgument, "caption template '{}' has no '{{}}' slot for the object list", text);
      }
    }
  }
  return policy;
}

nlohmann::json to_json(const CaptionPolicy& policy) {
  return {{"order", caption_order_name(policy.order)},
          {"largest_first_probability", policy.largest_first_probability},
          {"article", policy.article},
          {"templates", policy.templates}};
}

std::vector<int> caption_object_order(const std::vector<double>& areas, const CaptionPolicy& policy,
                                      std::mt19937_64& random) {
  std::vector<int> order(areas.size());
  std::iota(order.begin(), order.end(), 0);
  if (order.size() < 2) {
    return order;
  }
  auto by_area_descending = [&](int a, int b) { return areas[a] > areas[b]; };
  switch (policy.order) {
    case CaptionOrder::kSlotOrder:
      return order;
    case CaptionOrder::kSmallestFirst:
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return areas[a] < areas[b]; });
      return order;
    case CaptionOrder::kRandom:
      std::shuffle(order.begin(), order.end(), random);
      return order;
    case CaptionOrder::kLargestFirst:
      break;
  }

  // largest first with probability p; otherwise the largest takes a random later position
  int largest = *std::min_element(order.begin(), order.end(), by_area_descending);
  std::vector<int> others;
  for (int index : order) {
    if (index != largest) others.push_back(index);
  }
  std::shuffle(others.begin(), others.end(), random);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  size_t position = 0;
  if (unit(random) >= policy.largest_first_probability) {
    std::uniform_int_distribution<size_t> later(1, others.size());
    position = later(random);
  }
  others.insert(others.begin() + static_cast<std::ptrdiff_t>(position), largest);
  return others;
}

std::string indefinite_article(std::string_view name) {
  if (!name.empty() && std::string_view("aeiou").find(name[0]) != std::string_view::npos) {
    return "an";
  }
  return "a";
}

std::string make_caption(const std::vector<std::string>& names, const CaptionPolicy& policy,
                         std::mt19937_64& random) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) list += " and ";
    if (policy.article) list += indefinite_article(names[i]) + " ";
    list += names[i];
  }
  std::uniform_int_distribution<size_t> pick(0, policy.templates.size() - 1);
  std::string text = policy.templates[pick(random)];
  text.replace(text.find("{}"), 2, list);
  return text;
}

}  // namespace clipscope::train
