// Caption policies for training: the order in which a caption names a scene's objects (largest
// first with a probability, random, smallest first, or slot order), plus articles and templates.
// train/scene_sampler.h draws the scenes these captions describe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace clipscope::train {

/// Rule for the order in which a caption names a scene's objects.
enum class CaptionOrder {
  kLargestFirst,   ///< The largest object first with probability largest_first_probability.
  kRandom,         ///< A uniformly random order.
  kSmallestFirst,  ///< Ascending visible area.
  kSlotOrder,      ///< The layout's slot order (left to right, top to bottom).
};

/// Parses "largest-first", "random", "smallest-first" or "slot". Throws Error(kInvalidArgument).
CaptionOrder parse_caption_order(std::string_view text);

/// Returns the name parse_caption_order() accepts.
std::string caption_order_name(CaptionOrder order);

/// Caption settings of a training run.
struct CaptionPolicy {
  CaptionOrder order = CaptionOrder::kLargestFirst;
  /// For kLargestFirst: probability that the largest object comes first; otherwise it takes a
  /// uniformly chosen later position. Default 0.7 is an assumption: Abbasi et al. (CVPR 2025)
  /// report that LAION and COCO captions usually name the largest object first.
  double largest_first_probability = 0.7;
  bool article = true;  ///< "a cube and a star" instead of "cube and star".
  /// Templates with one "{}" for the joined object list; each caption uses one at random.
  std::vector<std::string> templates = {"{}", "a photo of {}", "a rendering of {}"};
};

/// Reads a policy from JSON keys order, largest_first_probability, article, templates (all
/// optional). Throws Error(kInvalidArgument) naming the key for a bad value.
CaptionPolicy caption_policy_from_json(const nlohmann::json& json);

/// Returns the policy as JSON, with every field.
nlohmann::json to_json(const CaptionPolicy& policy);

/// Returns the order (indices into `areas`) in which a caption names the objects whose visible
/// areas are `areas` (slot order). Ties in area keep slot order.
std::vector<int> caption_object_order(const std::vector<double>& areas, const CaptionPolicy& policy,
                                      std::mt19937_64& random);

/// Joins `names` (already ordered) with " and ", adding articles when policy.article is set, and puts the
/// result into a randomly chosen template.
std::string make_caption(const std::vector<std::string>& names, const CaptionPolicy& policy,
                         std::mt19937_64& random);

/// Returns "a" or "an" for a name, by its first letter.
std::string indefinite_article(std::string_view name);

}  // namespace clipscope::train
