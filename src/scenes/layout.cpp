#include "clipscope/scenes/layout.h"

#include <algorithm>
#include <cmath>

#include "clipscope/error.h"
#include "random.h"

namespace clipscope::scenes {

namespace {

// Extra ratio kept above min_area_ratio because planned areas come from a sampled outline.
constexpr double kAreaRatioSafety = 1.1;
constexpr int kSeparationRounds = 200;

constexpr uint64_t kRotationStream = 0x5eed0001;
constexpr uint64_t kLayoutStream = 0x5eed0002;

bool overlaps(const PlannedBox& a, const PlannedBox& b, double gap) {
  return std::abs(a.center_x - b.center_x) < (a.width + b.width) / 2 + gap &&
         std::abs(a.center_y - b.center_y) < (a.height + b.height) / 2 + gap;
}

void keep_inside(PlannedBox& box, double margin) {
  double low_x = margin + box.width / 2, high_x = 1 - margin - box.width / 2;
  double low_y = margin + box.height / 2, high_y = 1 - margin - box.height / 2;
  box.center_x = std::clamp(box.center_x, low_x, std::max(low_x, high_x));
  box.center_y = std::clamp(box.center_y, low_y, std::max(low_y, high_y));
}

// Pushes boxes apart along the axis of least penetration; the large box stays put.
bool separate(std::vector<PlannedBox>& boxes, int large_slot, double margin) {
  for (int round = 0; round < kSeparationRounds; ++round) {
    bool moved = false;
    for (size_t i = 0; i < boxes.size(); ++i) {
      for (size_t j = i + 1; j < boxes.size(); ++j) {
        PlannedBox& a = boxes[i];
        PlannedBox& b = boxes[j];
        if (!overlaps(a, b, margin)) {
          continue;
        }
        moved = true;
        double dx = b.center_x - a.center_x, dy = b.center_y - a.center_y;
        double push_x = (a.width + b.width) / 2 + margin - std::abs(dx);
        double push_y = (a.height + b.height) / 2 + margin - std::abs(dy);
        double share_a = static_cast<int>(i) == large_slot ? 0.0 : (static_cast<int>(j) == large_slot ? 1.0 : 0.5);
        double share_b = 1 - share_a;
        if (push_x < push_y) {
          double sign = dx >= 0 ? 1 : -1;
          a.center_x -= sign * push_x * share_a * 1.01;
          b.center_x += sign * push_x * share_b * 1.01;
        } else {
          double sign = dy >= 0 ? 1 : -1;
          a.center_y -= sign * push_y * share_a * 1.01;
          b.center_y += sign * push_y * share_b * 1.01;
        }
        keep_inside(a, margin);
        keep_inside(b, margin);
      }
    }
    if (!moved) {
      return true;
    }
  }
  for (size_t i = 0; i < boxes.size(); ++i) {
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      if (overlaps(boxes[i], boxes[j], 0)) {
        return false;
      }
    }
  }
  return true;
}

void check_options(int count, const LayoutOptions& options) {
  if (options.large_slot < -1 || options.large_slot >= count) {
    fail(ErrorKind::kInvalidArgument, "large slot {} does not exist with {} objects; use 0 to {}",
         options.large_slot, count, count - 1);
  }
  if (!(options.large_area > 0 && options.large_area < 1)) {
    fail(ErrorKind::kInvalidArgument, "large object area {} is out of range; use a fraction in (0, 1)",
         options.large_area);
  }
  if (!(options.small_area_min > 0 && options.small_area_min <= options.small_area_max &&
        options.small_area_max < 1)) {
    fail(ErrorKind::kInvalidArgument,
         "small object areas {} to {} are invalid; use fractions with 0 < min <= max < 1",
         options.small_area_min, options.small_area_max);
  }
  if (!(options.margin >= 0 && options.margin < 0.2) || !(options.position_jitter >= 0) ||
      !(options.min_area_ratio >= 0)) {
    fail(ErrorKind::kInvalidArgument,
         "layout margin {}, jitter {} or area ratio {} is invalid; use margin in [0, 0.2) and "
         "non-negative jitter and ratio",
         options.margin, options.position_jitter, options.min_area_ratio);
  }
}

}  // namespace

std::vector<std::array<double, 2>> slot_centers(int count) {
  switch (count) {
    case 2:
      return {{0.28, 0.5}, {0.72, 0.5}};
    case 3:
      return {{0.22, 0.22}, {0.5, 0.5}, {0.78, 0.78}};
    case 4:
      return {{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}};
    case 5:
      return {{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}, {0.5, 0.5}};
    default:
      fail(ErrorKind::kInvalidArgument, "object count {} is not supported; use 2 to 5 objects", count);
  }
}

std::vector<double> plan_rotations(int count, const LayoutOptions& options, uint64_t seed) {
  detail::Random random(seed ^ kRotationStream);
  std::vector<double> rotations;
  for (int i = 0; i < count; ++i) {
    // Whole degrees, so that outline measurements can be cached per shape and turn.
    rotations.push_back(std::round(random.uniform(-1, 1) * options.rotation_jitter_degrees));
  }
  return rotations;
}

std::vector<PlannedBox> plan_boxes(const std::vector<Footprint>& footprints,
                                   const std::vector<double>& rotations, const LayoutOptions& options,
                                   double frame_aspect, uint64_t seed) {
  int count = static_cast<int>(footprints.size());
  auto centers = slot_centers(count);
  check_options(count, options);
  detail::Random random(seed ^ kLayoutStream);

  std::vector<PlannedBox> boxes(count);
  for (int i = 0; i < count; ++i) {
    boxes[i].center_x = centers[i][0] + random.uniform(-1, 1) * options.position_jitter;
    boxes[i].center_y = centers[i][1] + random.uniform(-1, 1) * options.position_jitter;
    boxes[i].area = i == options.large_slot
                        ? options.large_area
                        : random.uniform(options.small_area_min, options.small_area_max);
    boxes[i].rotation_degrees = rotations[i];
  }

  // size ratio: shrink small objects whose covered area would come too close to the large one's
  if (options.large_slot >= 0) {
    double large_cover = boxes[options.large_slot].area * footprints[options.large_slot].fill;
    for (int i = 0; i < count; ++i) {
      double limit = large_cover / (options.min_area_ratio * kAreaRatioSafety * footprints[i].fill);
      if (i != options.large_slot && boxes[i].area > limit) {
        boxes[i].area = limit;
      }
    }
  }

  for (int i = 0; i < count; ++i) {
    // width / height in pixels = aspect, width * height in fractions = area
    boxes[i].width = std::sqrt(boxes[i].area * footprints[i].aspect / frame_aspect);
    boxes[i].height = boxes[i].area / boxes[i].width;
    if (boxes[i].width > 1 - 2 * options.margin || boxes[i].height > 1 - 2 * options.margin) {
      fail(ErrorKind::kInvalidArgument,
           "object in slot {} needs a {:.2f} x {:.2f} box, larger than the frame; lower the large "
           "area ({}) or the small areas",
           i, boxes[i].width, boxes[i].height, options.large_area);
    }
    keep_inside(boxes[i], options.margin);
  }

  if (!options.allow_overlap && !separate(boxes, options.large_slot, options.margin)) {
    fail(ErrorKind::kInvalidArgument,
         "impossible layout: {} objects with a large area of {} cannot be placed without overlap; "
         "lower the large area, use fewer objects or allow overlap",
         count, options.large_area);
  }
  return boxes;
}

}  // namespace clipscope::scenes
