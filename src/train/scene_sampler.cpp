#include "clipscope/train/scene_sampler.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>
#include <numeric>
#include <tuple>

#include "clipscope/error.h"
#include "json_fields.h"
#include "clipscope/image/preprocess.h"
#include "clipscope/scenes/layout.h"
#include "clipscope/scenes/renderer.h"
#include "clipscope/scenes/shapes.h"

namespace clipscope::train {

namespace {

// Mixes a seed with a stream position (SplitMix64 finaliser), so nearby indices give unrelated streams.
uint64_t mix(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Sub-stream tags, so that one pair's scene, caption order and template draws are independent.
constexpr uint64_t kOrderStream = 0x6f72646572ULL;
constexpr uint64_t kTemplateStream = 0x74656d706cULL;
constexpr uint64_t kPoolStream = 0x706f6f6cULL;

const std::vector<std::string>& shapes_of(const SceneDistribution& distribution) {
  return distribution.shapes.empty() ? scenes::shape_names() : distribution.shapes;
}

scenes::RenderOptions render_options(const SceneDistribution& distribution) {
  scenes::RenderOptions options;
  options.width = distribution.render_size;
  options.height = distribution.render_size;
  return options;
}

image::Image to_model_input(const image::Image& rendered, int image_size) {
  image::PreprocessConfig config;
  config.image_size = image_size;
  return image::preprocess_crop(rendered, config);
}

scenes::Footprint footprint_of(scenes::Shape shape, double rotation, const scenes::RenderOptions& render) {
  scenes::Silhouette silhouette = scenes::measure_silhouette(shape, rotation, 1.0, render);
  return {silhouette.width * render.width / (silhouette.height * render.height), silhouette.fill};
}

}  // namespace

SceneDistribution scene_distribution_from_json(const nlohmann::json& json) {
  SceneDistribution distribution;
  if (!json.is_object()) {
    fail(ErrorKind::kInvalidArgument, "the 'data' settings must be a JSON object, got {}", json.dump());
  }
  detail::check_known_keys(json, "data", {"shapes", "object_count_weights", "large_area", "small_area_min",
                                          "small_area_max", "single_area_min", "colors", "render_size", "pool_size"});
  auto& d = distribution;
  d.shapes = detail::read_field(json, "data", "shapes", d.shapes);
  d.object_count_weights = detail::read_field(json, "data", "object_count_weights", d.object_count_weights);
  d.large_area = detail::read_field(json, "data", "large_area", d.large_area);
  d.small_area_min = detail::read_field(json, "data", "small_area_min", d.small_area_min);
  d.small_area_max = detail::read_field(json, "data", "small_area_max", d.small_area_max);
  d.single_area_min = detail::read_field(json, "data", "single_area_min", d.single_area_min);
  d.colors = detail::read_field(json, "data", "colors", d.colors);
  d.render_size = detail::read_field(json, "data", "render_size", d.render_size);
  d.pool_size = detail::read_field(json, "data", "pool_size", d.pool_size);

  for (const auto& name : distribution.shapes) scenes::shape_from_name(name);
  for (const auto& name : distribution.colors) scenes::named_color(name);
  const auto& weights = distribution.object_count_weights;
  if (weights.empty() || weights.size() > 5 ||
      std::any_of(weights.begin(), weights.end(), [](double w) { return w < 0; }) ||
      std::accumulate(weights.begin(), weights.end(), 0.0) <= 0) {
    fail(ErrorKind::kInvalidArgument,
         "data.object_count_weights must hold 1 to 5 non-negative weights (for 1..5 objects) with a positive sum");
  }
  if (weights.size() > 1 && shapes_of(distribution).size() < weights.size()) {
    fail(ErrorKind::kInvalidArgument, "data.shapes has {} names but scenes may hold {} distinct objects",
         shapes_of(distribution).size(), weights.size());
  }
  if (distribution.colors.empty()) {
    fail(ErrorKind::kInvalidArgument, "data.colors is empty: give at least one colour, e.g. [\"blue\"]");
  }
  if (distribution.render_size < 16 || distribution.render_size > 1024) {
    fail(ErrorKind::kInvalidArgument, "data.render_size must be 16 to 1024 pixels, got {}", distribution.render_size);
  }
  if (!(0 < distribution.small_area_min && distribution.small_area_min <= distribution.small_area_max &&
        distribution.small_area_max < distribution.large_area && distribution.large_area < 1 &&
        0 < distribution.single_area_min && distribution.single_area_min <= distribution.large_area)) {
    fail(ErrorKind::kInvalidArgument,
         "data areas must satisfy 0 < small_area_min <= small_area_max < large_area < 1 and "
         "0 < single_area_min <= large_area");
  }
  if (distribution.pool_size < 0) {
    fail(ErrorKind::kInvalidArgument, "data.pool_size must be 0 (a new scene per pair) or a scene count, got {}",
         distribution.pool_size);
  }
  return distribution;
}

nlohmann::json to_json(const SceneDistribution& distribution) {
  return {{"shapes", shapes_of(distribution)},
          {"object_count_weights", distribution.object_count_weights},
          {"large_area", distribution.large_area},
          {"small_area_min", distribution.small_area_min},
          {"small_area_max", distribution.small_area_max},
          {"single_area_min", distribution.single_area_min},
          {"colors", distribution.colors},
          {"render_size", distribution.render_size},
          {"pool_size", distribution.pool_size}};
}

image::Image render_single_object(const SceneDistribution& distribution, const std::string& shape,
                                  int image_size, uint64_t seed) {
  std::mt19937_64 random(mix(seed, 0));
  std::uniform_real_distribution<double> area(distribution.single_area_min, distribution.large_area);
  std::uniform_real_distribution<double> jitter(-0.05, 0.05);
  std::uniform_real_distribution<double> turn(-30.0, 30.0);
  std::uniform_int_distribution<size_t> color(0, distribution.colors.size() - 1);

  scenes::ObjectPlacement placement;
  placement.shape = scenes::shape_from_name(shape);
  placement.color = scenes::named_color(distribution.colors[color(random)]);
  placement.box_area = area(random);
  placement.center_x = 0.5 + jitter(random);
  placement.center_y = 0.5 + jitter(random);
  placement.rotation_degrees = std::round(turn(random));
  return to_model_input(scenes::render_scene({placement}, render_options(distribution)).rgb, image_size);
}

TrainingScene sample_scene(const SceneDistribution& distribution, int image_size, uint64_t seed, uint64_t index) {
  const auto& shapes = shapes_of(distribution);
  const scenes::RenderOptions render = render_options(distribution);
  constexpr uint64_t kMaxAttempts = 100;
  for (uint64_t attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::mt19937_64 random(mix(mix(seed, index), attempt));
    std::discrete_distribution<int> count_of(distribution.object_count_weights.begin(),
                                             distribution.object_count_weights.end());
    const int count = count_of(random) + 1;

    // distinct shapes and their colours
    std::vector<size_t> indices(shapes.size());
    std::iota(indices.begin(), indices.end(), 0);
    std::shuffle(indices.begin(), indices.end(), random);
    std::uniform_int_distribution<size_t> color(0, distribution.colors.size() - 1);
    TrainingScene pair;
    std::vector<scenes::ObjectPlacement> placements;
    for (int i = 0; i < count; ++i) {
      pair.objects.push_back(shapes[indices[i]]);
      scenes::ObjectPlacement placement;
      placement.shape = scenes::shape_from_name(pair.objects.back());
      placement.color = scenes::named_color(distribution.colors[color(random)]);
      placements.push_back(placement);
    }

    // layout: a lone object near the centre, or slots with one large object
    if (count == 1) {
      std::uniform_real_distribution<double> area(distribution.single_area_min, distribution.large_area);
      std::uniform_real_distribution<double> jitter(-0.05, 0.05);
      std::uniform_real_distribution<double> turn(-30.0, 30.0);
      placements[0].box_area = area(random);
      placements[0].center_x = 0.5 + jitter(random);
      placements[0].center_y = 0.5 + jitter(random);
      placements[0].rotation_degrees = std::round(turn(random));
    } else {
      scenes::LayoutOptions layout;
      layout.large_slot = std::uniform_int_distribution<int>(0, count - 1)(random);
      layout.large_area = distribution.large_area;
      layout.small_area_min = distribution.small_area_min;
      layout.small_area_max = distribution.small_area_max;
      auto footprint = [&](int i, double rotation) { return footprint_of(placements[i].shape, rotation, render); };
      std::vector<scenes::PlannedBox> boxes;
      try {
        boxes = scenes::plan_layout(count, footprint, layout, 1.0, random());
      } catch (const Error&) {
        continue;  // this draw does not fit: redraw with the next sub-seed
      }
      for (int i = 0; i < count; ++i) {
        placements[i].center_x = boxes[i].center_x;
        placements[i].center_y = boxes[i].center_y;
        placements[i].box_area = boxes[i].area;
        placements[i].rotation_degrees = boxes[i].rotation_degrees;
      }
    }

    scenes::RenderedScene scene = scenes::render_scene(placements, render);
    pair.areas.assign(count, 0.0);
    for (uint8_t label : scene.labels.pixels) {
      if (label > 0 && label <= count) pair.areas[label - 1] += 1;
    }
    pair.crop = to_model_input(scene.rgb, image_size);
    return pair;
  }
  fail(ErrorKind::kInvalidArgument,
       "no layout fits the scene distribution after {} draws: lower data.large_area or data.small_area_max",
       kMaxAttempts);
}

TrainingPair caption_scene(const TrainingScene& scene, const CaptionPolicy& policy, uint64_t seed, uint64_t index) {
  // separate streams for the order and the template
  std::mt19937_64 order_random(mix(mix(seed, index), kOrderStream));
  std::mt19937_64 template_random(mix(mix(seed, index), kTemplateStream));
  std::vector<int> order = caption_object_order(scene.areas, policy, order_random);
  std::vector<std::string> names;
  for (int i : order) names.push_back(scene.objects[i]);

  TrainingPair pair;
  pair.caption = make_caption(names, policy, template_random);
  pair.crop = scene.crop;
  pair.objects = scene.objects;
  pair.areas = scene.areas;
  return pair;
}

TrainingPair sample_pair(const SceneDistribution& distribution, const CaptionPolicy& policy, int image_size,
                         uint64_t seed, uint64_t index) {
  return caption_scene(sample_scene(distribution, image_size, seed, index), policy, seed, index);
}

std::vector<TrainingScene> sample_scenes(const SceneDistribution& distribution, int image_size, uint64_t seed,
                                         uint64_t first, int64_t count) {
  std::vector<TrainingScene> scenes(static_cast<size_t>(count));
  std::exception_ptr failure;
  std::mutex failure_mutex;
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        scenes[i] = sample_scene(distribution, image_size, seed, first + static_cast<uint64_t>(i));
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  });
  if (failure) std::rethrow_exception(failure);
  return scenes;
}

int64_t pool_scene_index(uint64_t seed, uint64_t index, int64_t pool_size) {
  if (pool_size < 1) fail(ErrorKind::kInvalidArgument, "the scene pool size must be at least 1, got {}", pool_size);
  const auto size = static_cast<uint64_t>(pool_size);
  const uint64_t pass = index / size;

  // the shuffled order of one pass, kept per thread because consecutive pairs share it
  thread_local std::tuple<uint64_t, uint64_t, uint64_t> cached_key{0, 0, 0};
  thread_local std::vector<int64_t> cached_order;
  const std::tuple<uint64_t, uint64_t, uint64_t> key{seed, pass, size};
  if (cached_order.size() != size || cached_key != key) {
    cached_order.resize(size);
    std::iota(cached_order.begin(), cached_order.end(), 0);
    std::mt19937_64 random(mix(mix(seed, pass), kPoolStream));
    std::shuffle(cached_order.begin(), cached_order.end(), random);
    cached_key = key;
  }
  return cached_order[index % size];
}

std::vector<TrainingPair> sample_pairs(const SceneDistribution& distribution, const CaptionPolicy& policy,
                                       int image_size, uint64_t seed, uint64_t first, int64_t count) {
  std::vector<TrainingPair> pairs(static_cast<size_t>(count));
  std::exception_ptr failure;
  std::mutex failure_mutex;
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        pairs[i] = sample_pair(distribution, policy, image_size, seed, first + static_cast<uint64_t>(i));
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  });
  if (failure) std::rethrow_exception(failure);
  return pairs;
}

}  // namespace clipscope::train
