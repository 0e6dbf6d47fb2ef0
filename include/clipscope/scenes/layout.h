// Placement of 2 to 5 objects in a frame: slot positions, one large object and the rest small,
// position and rotation jitter, and overlap removal. The renderer that draws the result is
// scenes/renderer.h; scenes/scene_set.h builds whole sets from layouts.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace clipscope::scenes {

/// Layout settings. Areas are fractions of the frame area; positions are fractions of its sides.
struct LayoutOptions {
  int large_slot = 0;                   ///< Slot of the large object; -1 makes every object small.
  double large_area = 0.19;             ///< Image-box area of the large object.
  double small_area_min = 0.015;        ///< Smallest image-box area of a small object.
  double small_area_max = 0.025;        ///< Largest image-box area of a small object.
  double min_area_ratio = 5;            ///< Small objects shrink until the large one covers this many times their area.
  double position_jitter = 0.02;        ///< Largest random shift of a slot centre.
  double rotation_jitter_degrees = 30;  ///< Largest random turn about the vertical axis.
  double margin = 0.02;                 ///< Smallest gap between boxes and to the frame edge.
  bool allow_overlap = false;           ///< Keep overlapping boxes instead of raising an error.
};

/// Returns the slot centres (x, y as fractions, y down) for `count` objects: 2 left and right;
/// 3 upper-left, middle, bottom-right; 4 the quadrants; 5 the quadrants and the centre.
/// Throws Error(kInvalidArgument) for a count outside 2..5.
std::vector<std::array<double, 2>> slot_centers(int count);

/// How an object fills its image box, independent of its size.
struct Footprint {
  double aspect = 1;  ///< Box width / box height, in pixels.
  double fill = 1;    ///< Fraction of the box the object covers.
};

/// A planned object box in frame fractions.
struct PlannedBox {
  double center_x = 0.5;
  double center_y = 0.5;
  double width = 0;
  double height = 0;
  double area = 0;                ///< width * height
  double rotation_degrees = 0;    ///< Turn chosen for the object.
};

/// Plans boxes for objects in slot order. `footprint(i, rotation)` returns object i's footprint
/// at that turn. `frame_aspect` is width / height of the image. Small areas and jitter come from
/// `seed`. Throws Error(kInvalidArgument) naming the option to change when the objects do not fit
/// or (unless allow_overlap) cannot be separated.
template <typename FootprintFn>
std::vector<PlannedBox> plan_layout(int count, FootprintFn footprint, const LayoutOptions& options,
                                    double frame_aspect, uint64_t seed);

/// Non-template core of plan_layout: `footprints` holds the footprint at `rotations[i]`.
std::vector<PlannedBox> plan_boxes(const std::vector<Footprint>& footprints,
                                   const std::vector<double>& rotations, const LayoutOptions& options,
                                   double frame_aspect, uint64_t seed);

/// Returns the turns (whole degrees) plan_boxes will use for `count` objects with this seed.
std::vector<double> plan_rotations(int count, const LayoutOptions& options, uint64_t seed);

template <typename FootprintFn>
std::vector<PlannedBox> plan_layout(int count, FootprintFn footprint, const LayoutOptions& options,
                                    double frame_aspect, uint64_t seed) {
  std::vector<double> rotations = plan_rotations(count, options, seed);
  std::vector<Footprint> footprints;
  for (int i = 0; i < count; ++i) {
    footprints.push_back(footprint(i, rotations[i]));
  }
  return plan_boxes(footprints, rotations, options, frame_aspect, seed);
}

}  // namespace clipscope::scenes
