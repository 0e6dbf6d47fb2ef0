// Signed distance functions of the SimCO shapes in their local frame (private to src/scenes).
// Every shape stands on the floor plane y = 0, is about 1.4 units across, and faces the camera
// with its local +z axis pointing away from the viewer (up in the image).
#pragma once

#include "clipscope/scenes/shapes.h"
#include "sdf.h"

namespace clipscope::scenes::detail {

/// An axis-aligned box in local units that contains the whole shape.
struct LocalBounds {
  Vec3 min;
  Vec3 max;
};

/// Returns a lower bound on the signed distance from local point `p` to the shape's surface
/// (exact for most shapes, a bound for the convex faceted ones), negative inside.
double shape_distance(Shape shape, Vec3 p);

/// Returns a box containing the shape in its local frame.
LocalBounds shape_bounds(Shape shape);

/// Returns the turn about the vertical axis (degrees, counter-clockwise from above) that shows
/// the shape best; object rotations are applied on top of it.
double canonical_turn_degrees(Shape shape);

}  // namespace clipscope::scenes::detail
