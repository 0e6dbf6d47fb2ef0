// The 18 SimCO shapes and the named colours objects can be painted with. The renderer that draws
// them is scenes/renderer.h; layouts that place them are scenes/layout.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clipscope::scenes {

/// A SimCO solid. Flat shapes (heart, moon, cross, snowflake, leaf, arrow, star, pentagon) are
/// extruded 2D outlines lying on the floor; mug, pot and cap are built around a vertical axis.
enum class Shape {
  kCube,
  kSphere,
  kCylinder,
  kMug,
  kPentagon,
  kHeart,
  kCone,
  kPyramid,
  kDiamond,
  kMoon,
  kCross,
  kSnowflake,
  kLeaf,
  kArrow,
  kStar,
  kTorus,
  kPot,
  kCap,
};

/// Returns the names of all shapes in the order of the Shape enum ("cube", "sphere", ...).
const std::vector<std::string>& shape_names();

/// Returns the shape called `name`. Throws Error(kNotFound) naming the value and listing the valid names.
Shape shape_from_name(std::string_view name);

/// Returns the name of a shape as used in file names and manifests.
const std::string& shape_name(Shape shape);

/// An sRGB colour with channels in [0, 1].
struct Rgb {
  double r = 0;
  double g = 0;
  double b = 0;
};

/// Returns the names of the colours named_color() accepts.
const std::vector<std::string>& color_names();

/// Returns the colour called `name` ("blue", "red", ...). Throws Error(kNotFound) naming the value
/// and listing the valid names.
Rgb named_color(std::string_view name);

}  // namespace clipscope::scenes
