#include "clipscope/scenes/renderer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "clipscope/error.h"
#include "clipscope/scenes/shapes.h"

namespace clipscope::scenes {
namespace {

// Largest distance in pixels between the visible box centre and the frame centre. The box is
// planned from a sampled outline, and labels are whole pixels.
constexpr double kCentreTolerance = 1.5;

RenderOptions small_options() {
  RenderOptions options;
  options.width = options.height = 48;
  return options;
}

int64_t count_label(const image::Image& labels, int label) {
  int64_t count = 0;
  for (uint8_t value : labels.pixels) {
    count += value == label;
  }
  return count;
}

TEST(Shapes, NamesRoundTrip) {
  ASSERT_EQ(shape_names().size(), 18u);
  for (const auto& name : shape_names()) {
    EXPECT_EQ(shape_name(shape_from_name(name)), name);
  }
}

TEST(Shapes, UnknownNameListsValidOnes) {
  try {
    shape_from_name("dodecahedron");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
    std::string message = error.what();
    EXPECT_NE(message.find("'dodecahedron'"), std::string::npos);
    EXPECT_NE(message.find("snowflake"), std::string::npos);
  }
}

TEST(Shapes, UnknownColourRejected) { EXPECT_THROW(named_color("chartreuse-ish"), Error); }

TEST(Renderer, EveryShapeIsVisibleAndCentred) {
  for (const auto& name : shape_names()) {
    ObjectPlacement placement;
    placement.shape = shape_from_name(name);
    placement.box_area = 0.25;
    RenderedScene scene = render_scene({placement}, small_options());
    int64_t area = count_label(scene.labels, 1);
    EXPECT_GT(area, 48 * 48 / 20) << name;
    EXPECT_LT(area, 48 * 48 / 3) << name;
    // The check uses the visible box, because the torus and the moon leave the frame centre empty.
    int x0 = 48, y0 = 48, x1 = 0, y1 = 0;
    for (int y = 0; y < 48; ++y) {
      for (int x = 0; x < 48; ++x) {
        if (*scene.labels.at(x, y) == 1) {
          x0 = std::min(x0, x), y0 = std::min(y0, y);
          x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
        }
      }
    }
    EXPECT_NEAR((x0 + x1) / 2.0, 24, kCentreTolerance) << name;
    EXPECT_NEAR((y0 + y1) / 2.0, 24, kCentreTolerance) << name;
  }
}

TEST(Renderer, SameBytesForOneAndTwoThreads) {
  std::vector<ObjectPlacement> objects(2);
  objects[0].shape = Shape::kMug;
  objects[0].center_x = 0.3;
  objects[0].box_area = 0.15;
  objects[1].shape = Shape::kStar;
  objects[1].center_x = 0.75;
  objects[1].box_area = 0.03;
  objects[1].color = named_color("red");
  int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  RenderedScene one = render_scene(objects, small_options());
  torch::set_num_threads(2);
  RenderedScene two = render_scene(objects, small_options());
  torch::set_num_threads(threads);
  EXPECT_EQ(one.rgb.pixels, two.rgb.pixels);
  EXPECT_EQ(one.labels.pixels, two.labels.pixels);
}

TEST(Renderer, FloorIsLightGrey) {
  RenderedScene scene = render_scene({}, small_options());
  const uint8_t* centre = scene.rgb.at(24, 24);
  EXPECT_GT(centre[0], 180);
  EXPECT_EQ(centre[0], centre[1]);
  EXPECT_EQ(centre[1], centre[2]);
  EXPECT_EQ(count_label(scene.labels, 0), 48 * 48);
}

TEST(Renderer, RejectsEvenSupersampling) {
  RenderOptions options = small_options();
  options.supersampling = 2;
  EXPECT_THROW(render_scene({}, options), Error);
}

TEST(Renderer, RejectsBoxAreaAboveOne) {
  ObjectPlacement placement;
  placement.box_area = 1.5;
  EXPECT_THROW(render_scene({placement}, small_options()), Error);
}

}  // namespace
}  // namespace clipscope::scenes
