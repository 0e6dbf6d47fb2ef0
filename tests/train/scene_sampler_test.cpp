#include "clipscope/train/scene_sampler.h"

#include <gtest/gtest.h>

#include <set>

#include "clipscope/error.h"

namespace clipscope::train {
namespace {

SceneDistribution small_distribution() {
  SceneDistribution distribution;
  distribution.shapes = {"cube", "sphere", "star", "heart", "torus"};
  distribution.object_count_weights = {0, 1, 1};
  distribution.render_size = 32;
  return distribution;
}

// Replaces every object name in `caption` with "#", leaving the template and the articles.
std::string without_names(std::string caption, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    std::string replaced;
    size_t start = 0;
    for (size_t at = caption.find(name); at != std::string::npos; at = caption.find(name, start)) {
      replaced.append(caption, start, at - start);
      replaced += '#';
      start = at + name.size();
    }
    replaced.append(caption, start, std::string::npos);
    caption = std::move(replaced);
  }
  return caption;
}

TEST(SceneSampler, PoolIndexVisitsEverySceneOncePerPass) {
  constexpr int64_t kPool = 37;
  for (uint64_t pass = 0; pass < 3; ++pass) {
    std::set<int64_t> seen;
    for (uint64_t i = 0; i < kPool; ++i) seen.insert(pool_scene_index(5, pass * kPool + i, kPool));
    EXPECT_EQ(seen.size(), static_cast<size_t>(kPool)) << "pass " << pass;
    EXPECT_EQ(*seen.begin(), 0);
    EXPECT_EQ(*seen.rbegin(), kPool - 1);
  }
}

TEST(SceneSampler, PoolOrderChangesBetweenPasses) {
  constexpr int64_t kPool = 50;
  std::vector<int64_t> first;
  std::vector<int64_t> second;
  for (uint64_t i = 0; i < kPool; ++i) {
    first.push_back(pool_scene_index(5, i, kPool));
    second.push_back(pool_scene_index(5, kPool + i, kPool));
  }
  EXPECT_NE(first, second);
  EXPECT_EQ(pool_scene_index(5, 3, kPool), first[3]) << "the order must not depend on earlier calls";
  EXPECT_THROW(pool_scene_index(5, 0, 0), Error);
}

TEST(SceneSampler, PoliciesShareScenesAndTemplates) {
  CaptionPolicy largest_first;
  largest_first.largest_first_probability = 1.0;
  largest_first.templates = {"{}", "a photo of {}", "a drawing of {}"};
  CaptionPolicy random = largest_first;
  random.order = CaptionOrder::kRandom;
  const SceneDistribution distribution = small_distribution();
  for (uint64_t index = 0; index < 20; ++index) {
    const TrainingScene scene = sample_scene(distribution, 32, 3, index);
    const TrainingPair a = caption_scene(scene, largest_first, 3, index);
    const TrainingPair b = caption_scene(scene, random, 3, index);
    EXPECT_EQ(without_names(a.caption, scene.objects), without_names(b.caption, scene.objects))
        << "only the order of the names may differ: " << a.caption << " / " << b.caption;
    EXPECT_EQ(a.crop.pixels, b.crop.pixels);
  }
}

TEST(SceneSampler, SamplePairEqualsCaptionedScene) {
  CaptionPolicy policy;
  const SceneDistribution distribution = small_distribution();
  const TrainingPair direct = sample_pair(distribution, policy, 32, 9, 4);
  const TrainingPair composed = caption_scene(sample_scene(distribution, 32, 9, 4), policy, 9, 4);
  EXPECT_EQ(direct.caption, composed.caption);
  EXPECT_EQ(direct.objects, composed.objects);
  EXPECT_EQ(direct.crop.pixels, composed.crop.pixels);
}

TEST(SceneSampler, ParallelScenesEqualSequential) {
  const SceneDistribution distribution = small_distribution();
  const std::vector<TrainingScene> scenes = sample_scenes(distribution, 32, 2, 10, 6);
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(scenes[i].crop.pixels, sample_scene(distribution, 32, 2, 10 + i).crop.pixels) << i;
  }
}

}  // namespace
}  // namespace clipscope::train
