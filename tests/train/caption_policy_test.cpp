#include "clipscope/train/caption_policy.h"

#include <gtest/gtest.h>

#include <map>

#include "clipscope/error.h"

namespace clipscope::train {
namespace {

// Binomial standard error at 10,000 draws is about 0.005; four of them.
constexpr double kRateTolerance = 0.02;
constexpr int kDraws = 10000;

TEST(CaptionPolicy, LargestFirstRateEqualsProbability) {
  CaptionPolicy policy;
  policy.largest_first_probability = 0.7;
  std::mt19937_64 random(1);
  const std::vector<double> areas = {10, 50, 20};
  int largest_first = 0;
  for (int i = 0; i < kDraws; ++i) {
    auto order = caption_object_order(areas, policy, random);
    ASSERT_EQ(order.size(), 3u);
    largest_first += order[0] == 1;
  }
  EXPECT_NEAR(static_cast<double>(largest_first) / kDraws, 0.7, kRateTolerance);
}

TEST(CaptionPolicy, LargestFirstProbabilityZeroNeverLeads) {
  CaptionPolicy policy;
  policy.largest_first_probability = 0.0;
  std::mt19937_64 random(2);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_NE(caption_object_order({3, 9, 1, 2}, policy, random)[0], 1);
  }
}

TEST(CaptionPolicy, SmallestFirstSortsAscending) {
  CaptionPolicy policy;
  policy.order = CaptionOrder::kSmallestFirst;
  std::mt19937_64 random(3);
  EXPECT_EQ(caption_object_order({5, 1, 3}, policy, random), (std::vector<int>{1, 2, 0}));
}

TEST(CaptionPolicy, SlotOrderKeepsSlots) {
  CaptionPolicy policy;
  policy.order = CaptionOrder::kSlotOrder;
  std::mt19937_64 random(4);
  EXPECT_EQ(caption_object_order({5, 1, 3}, policy, random), (std::vector<int>{0, 1, 2}));
}

TEST(CaptionPolicy, RandomOrderReachesEveryPermutation) {
  CaptionPolicy policy;
  policy.order = CaptionOrder::kRandom;
  std::mt19937_64 random(5);
  std::map<std::vector<int>, int> seen;
  for (int i = 0; i < 6000; ++i) ++seen[caption_object_order({5, 1, 3}, policy, random)];
  EXPECT_EQ(seen.size(), 6u);
  for (const auto& [order, count] : seen) EXPECT_NEAR(count, 1000, 150);
}

TEST(CaptionPolicy, CaptionUsesArticlesAndTemplate) {
  CaptionPolicy policy;
  policy.templates = {"a photo of {}"};
  std::mt19937_64 random(6);
  EXPECT_EQ(make_caption({"arrow", "cube"}, policy, random), "a photo of an arrow and a cube");
  policy.article = false;
  EXPECT_EQ(make_caption({"arrow", "cube", "star"}, policy, random), "a photo of arrow and cube and star");
}

TEST(CaptionPolicy, JsonRoundTrip) {
  CaptionPolicy policy;
  policy.order = CaptionOrder::kRandom;
  policy.templates = {"{}"};
  CaptionPolicy back = caption_policy_from_json(to_json(policy));
  EXPECT_EQ(back.order, CaptionOrder::kRandom);
  EXPECT_EQ(back.templates, policy.templates);
}

TEST(CaptionPolicy, RejectsBadSettings) {
  EXPECT_THROW(parse_caption_order("biggest"), Error);
  EXPECT_THROW(caption_policy_from_json({{"largest_first_probability", 1.5}}), Error);
  EXPECT_THROW(caption_policy_from_json({{"templates", nlohmann::json::array()}}), Error);
  EXPECT_THROW(caption_policy_from_json({{"templates", {"no slot"}}}), Error);
}

}  // namespace
}  // namespace clipscope::train
