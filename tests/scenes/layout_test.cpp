#include "clipscope/scenes/layout.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"

namespace clipscope::scenes {
namespace {

bool boxes_overlap(const PlannedBox& a, const PlannedBox& b) {
  return std::abs(a.center_x - b.center_x) < (a.width + b.width) / 2 &&
         std::abs(a.center_y - b.center_y) < (a.height + b.height) / 2;
}

std::vector<Footprint> squares(int count) { return std::vector<Footprint>(count, Footprint{1, 0.6}); }

TEST(Layout, SlotCentresFollowPublishedSets) {
  EXPECT_EQ(slot_centers(2).size(), 2u);
  EXPECT_LT(slot_centers(2)[0][0], slot_centers(2)[1][0]);
  auto three = slot_centers(3);
  EXPECT_LT(three[0][0], three[1][0]);
  EXPECT_LT(three[1][1], three[2][1]);
  EXPECT_EQ(slot_centers(5)[4][0], 0.5);
  EXPECT_THROW(slot_centers(6), Error);
  EXPECT_THROW(slot_centers(1), Error);
}

TEST(Layout, DefaultsKeepObjectsApart) {
  for (int count = 2; count <= 5; ++count) {
    for (int large = 0; large < count; ++large) {
      for (uint64_t seed = 0; seed < 5; ++seed) {
        LayoutOptions options;
        options.large_slot = large;
        auto boxes = plan_boxes(squares(count), std::vector<double>(count, 0), options, 1.0, seed);
        for (int i = 0; i < count; ++i) {
          EXPECT_GE(boxes[i].center_x - boxes[i].width / 2, 0.0);
          EXPECT_LE(boxes[i].center_x + boxes[i].width / 2, 1.0);
          for (int j = i + 1; j < count; ++j) {
            EXPECT_FALSE(boxes_overlap(boxes[i], boxes[j]))
                << count << " objects, large " << large << ", seed " << seed;
          }
        }
        EXPECT_NEAR(boxes[large].area, 0.19, 1e-12);
      }
    }
  }
}

TEST(Layout, SmallObjectsShrinkToKeepAreaRatio) {
  LayoutOptions options;
  std::vector<Footprint> footprints = {{1, 0.3}, {1, 0.9}};
  auto boxes = plan_boxes(footprints, {0, 0}, options, 1.0, 7);
  EXPECT_GE(boxes[0].area * 0.3, 5 * boxes[1].area * 0.9);
}

TEST(Layout, ImpossibleLayoutNamesFix) {
  LayoutOptions options;
  options.large_area = 0.7;
  try {
    plan_boxes(squares(5), std::vector<double>(5, 0), options, 1.0, 1);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("large area"), std::string::npos) << error.what();
  }
}

TEST(Layout, RejectsMissingLargeSlot) {
  LayoutOptions options;
  options.large_slot = 3;
  EXPECT_THROW(plan_boxes(squares(2), {0, 0}, options, 1.0, 1), Error);
}

TEST(Layout, SameSeedSameBoxes) {
  LayoutOptions options;
  auto a = plan_boxes(squares(4), std::vector<double>(4, 0), options, 1.0, 42);
  auto b = plan_boxes(squares(4), std::vector<double>(4, 0), options, 1.0, 42);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a[i].center_x, b[i].center_x);
    EXPECT_EQ(a[i].area, b[i].area);
  }
}

}  // namespace
}  // namespace clipscope::scenes
