// Drawing training pairs on the fly: a random SimCO scene (1 to 5 objects, one large), rendered
// and preprocessed to the model's input size, with its caption from train/caption_policy.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/image/image.h"
#include "clipscope/train/caption_policy.h"

namespace clipscope::train {

/// What scenes a training run sees.
struct SceneDistribution {
  std::vector<std::string> shapes;  ///< SimCO shape names; empty means all 18.
  /// Relative weight of scenes with 1, 2, ... objects (at most 5 entries). Default: 1 to 4 objects,
  /// single objects as often as pairs, so that names are learned alone and in lists.
  std::vector<double> object_count_weights = {1, 1, 1, 1};
  double large_area = 0.19;      ///< Image-box area of the large object, as a fraction of the frame.
  double small_area_min = 0.015; ///< Smallest image-box area of a small object.
  double small_area_max = 0.03;  ///< Largest image-box area of a small object.
  double single_area_min = 0.03; ///< Smallest box area of a lone object (largest: large_area).
  std::vector<std::string> colors = {"blue"};  ///< Colours drawn uniformly per object.
  int render_size = 96;          ///< Side of the rendered square, before preprocessing.
  /// Scenes rendered once and reused: pair i shows a scene of the pool, visited in a seeded
  /// shuffled order per pass, with a caption drawn anew for pair i. 0 renders a new scene per pair.
  int64_t pool_size = 0;
};

/// Reads a distribution from JSON (every key optional). Throws Error(kInvalidArgument) naming the
/// key for a bad value, Error(kNotFound) for an unknown shape or colour.
SceneDistribution scene_distribution_from_json(const nlohmann::json& json);

/// Returns the distribution as JSON, with every field.
nlohmann::json to_json(const SceneDistribution& distribution);

/// One rendered scene, before a caption is chosen.
struct TrainingScene {
  image::Image crop;                 ///< RGB, image_size x image_size, preprocessed as at evaluation.
  std::vector<std::string> objects;  ///< Slot order.
  std::vector<double> areas;         ///< Visible area of each object, in rendered pixels.
};

/// One image-caption pair.
struct TrainingPair {
  image::Image crop;                 ///< RGB, image_size x image_size, preprocessed as at evaluation.
  std::string caption;
  std::vector<std::string> objects;  ///< Slot order.
  std::vector<double> areas;         ///< Visible area of each object, in rendered pixels.
};

/// Draws scene number `index` of a stream: it depends only on the arguments. Scenes that cannot
/// be laid out are redrawn with the next sub-seed. Throws Error for an invalid distribution.
TrainingScene sample_scene(const SceneDistribution& distribution, int image_size, uint64_t seed, uint64_t index);

/// Captions `scene` as pair number `index` of a stream. The object order and the template come from
/// separate random streams, so two policies that differ only in `order` pick the same templates.
TrainingPair caption_scene(const TrainingScene& scene, const CaptionPolicy& policy, uint64_t seed, uint64_t index);

/// Returns caption_scene(sample_scene(distribution, image_size, seed, index), policy, seed, index).
TrainingPair sample_pair(const SceneDistribution& distribution, const CaptionPolicy& policy, int image_size,
                         uint64_t seed, uint64_t index);

/// Renders scenes first..first+count-1 in parallel over the torch thread pool; the result does not
/// depend on the thread count.
std::vector<TrainingScene> sample_scenes(const SceneDistribution& distribution, int image_size, uint64_t seed,
                                         uint64_t first, int64_t count);

/// Returns the pool scene that pair `index` shows: pass index / pool_size visits the pool in an
/// order shuffled by (seed, pass). Throws Error(kInvalidArgument) if pool_size < 1.
int64_t pool_scene_index(uint64_t seed, uint64_t index, int64_t pool_size);

/// Draws pairs first..first+count-1 in parallel over the torch thread pool; the result does not
/// depend on the thread count.
std::vector<TrainingPair> sample_pairs(const SceneDistribution& distribution, const CaptionPolicy& policy,
                                       int image_size, uint64_t seed, uint64_t first, int64_t count);

/// Renders one object alone, centred, at a box area between single_area_min and large_area, for
/// zero-shot evaluation. Depends only on the arguments.
image::Image render_single_object(const SceneDistribution& distribution, const std::string& shape,
                                  int image_size, uint64_t seed);

}  // namespace clipscope::train
