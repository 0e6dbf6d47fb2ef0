#include "clipscope/scenes/shapes.h"

#include <array>
#include <numbers>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "clipscope/error.h"
#include "shape_geometry.h"

namespace clipscope::scenes {

namespace {

using detail::Vec2;
using detail::Vec3;

struct NamedColor {
  const char* name;
  Rgb value;
};

// sRGB values chosen to read as their names under the studio lighting.
constexpr std::array<NamedColor, 14> kColors = {{
    {"blue", {0.13, 0.33, 0.85}},
    {"red", {0.85, 0.12, 0.10}},
    {"green", {0.15, 0.65, 0.20}},
    {"yellow", {0.95, 0.82, 0.10}},
    {"orange", {0.98, 0.50, 0.08}},
    {"purple", {0.50, 0.20, 0.72}},
    {"pink", {0.97, 0.55, 0.72}},
    {"brown", {0.50, 0.30, 0.15}},
    {"black", {0.07, 0.07, 0.08}},
    {"white", {0.95, 0.95, 0.95}},
    {"gray", {0.50, 0.50, 0.52}},
    {"cyan", {0.10, 0.75, 0.85}},
    {"magenta", {0.85, 0.15, 0.75}},
    {"gold", {0.85, 0.65, 0.15}},
}};

}  // namespace

const std::vector<std::string>& shape_names() {
  static const std::vector<std::string> names = {
      "cube", "sphere", "cylinder", "mug",   "pentagon", "heart", "cone",  "pyramid", "diamond",
      "moon", "cross",  "snowflake", "leaf", "arrow",    "star",  "torus", "pot",     "cap"};
  return names;
}

Shape shape_from_name(std::string_view name) {
  const auto& names = shape_names();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      return static_cast<Shape>(i);
    }
  }
  fail(ErrorKind::kNotFound, "unknown shape '{}'; use one of: {}", name, fmt::join(names, ", "));
}

const std::string& shape_name(Shape shape) { return shape_names().at(static_cast<size_t>(shape)); }

const std::vector<std::string>& color_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (const auto& color : kColors) {
      result.emplace_back(color.name);
    }
    return result;
  }();
  return names;
}

Rgb named_color(std::string_view name) {
  for (const auto& color : kColors) {
    if (name == color.name) {
      return color.value;
    }
  }
  fail(ErrorKind::kNotFound, "unknown colour '{}'; use one of: {}", name,
       fmt::join(color_names(), ", "));
}

namespace detail {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kFlatHeight = 0.3;   // thickness of the extruded flat shapes
constexpr double kFlatRounding = 0.045;

std::vector<Vec2> regular_star(int points, double outer, double inner) {
  std::vector<Vec2> vertices;
  for (int k = 0; k < 2 * points; ++k) {
    double angle = kPi / 2 + k * kPi / points;
    double radius = (k % 2 == 0) ? outer : inner;
    vertices.push_back({radius * std::cos(angle), radius * std::sin(angle)});
  }
  return vertices;
}

std::vector<Vec2> regular_polygon(int sides, double radius) {
  std::vector<Vec2> vertices;
  for (int k = 0; k < sides; ++k) {
    double angle = kPi / 2 + k * 2 * kPi / sides;
    vertices.push_back({radius * std::cos(angle), radius * std::sin(angle)});
  }
  return vertices;
}

// Outlines in the floor plane: x right, second coordinate = local z (away from the viewer).
const std::vector<Vec2>& star_outline() {
  static const std::vector<Vec2> outline = regular_star(5, 0.82, 0.36);
  return outline;
}

const std::vector<Vec2>& pentagon_outline() {
  static const std::vector<Vec2> outline = regular_polygon(5, 0.72);
  return outline;
}

const std::vector<Vec2>& arrow_outline() {
  static const std::vector<Vec2> outline = {{-0.8, -0.17}, {0.1, -0.17}, {0.1, -0.5}, {0.82, 0.0},
                                            {0.1, 0.5},    {0.1, 0.17},  {-0.8, 0.17}};
  return outline;
}

// Cross-sections of the hollow vessels in the (radius, height) plane, mirrored about the axis so
// that the polygon distance stays exact after revolving.
const std::vector<Vec2>& mug_profile() {
  static const std::vector<Vec2> profile = {{-0.46, 0.0}, {0.46, 0.0},  {0.46, 1.05}, {0.39, 1.05},
                                            {0.39, 0.09}, {-0.39, 0.09}, {-0.39, 1.05}, {-0.46, 1.05}};
  return profile;
}

const std::vector<Vec2>& pot_profile() {
  static const std::vector<Vec2> profile = {
      {-0.66, 0.0},  {0.66, 0.0},   {0.66, 0.6},   {0.73, 0.62},  {0.73, 0.7},   {0.6, 0.7},
      {0.6, 0.08},   {-0.6, 0.08},  {-0.6, 0.7},   {-0.73, 0.7},  {-0.73, 0.62}, {-0.66, 0.6}};
  return profile;
}

double heart_outline(Vec2 p) {
  // A square standing on a corner with a disc on each upper edge.
  constexpr double kSide = 0.8;
  Vec2 centre{0.0, -0.08};
  Vec2 q = p - centre;
  double s = std::numbers::sqrt2 / 2;
  Vec2 rotated{(q.x + q.y) * s, (q.y - q.x) * s};
  double square = sd_rectangle(rotated, {kSide / 2, kSide / 2});
  double lobe_offset = kSide * s / 2;
  double left = sd_circle(q - Vec2{-lobe_offset, lobe_offset}, kSide / 2);
  double right = sd_circle(q - Vec2{lobe_offset, lobe_offset}, kSide / 2);
  return std::min(square, std::min(left, right));
}

double moon_outline(Vec2 p) {
  double outer = sd_circle(p, 0.72);
  double bite = sd_circle(p - Vec2{0.34, 0.16}, 0.6);
  return std::max(outer, -bite);
}

double cross_outline(Vec2 p) {
  return std::min(sd_rectangle(p, {0.75, 0.22}), sd_rectangle(p, {0.22, 0.75}));
}

double leaf_outline(Vec2 p) {
  // Two overlapping discs give the pointed blade; a short capsule is the stalk.
  double blade = std::max(sd_circle(p - Vec2{0.56, 0.0}, 0.95), sd_circle(p - Vec2{-0.56, 0.0}, 0.95));
  double stalk = distance_to_segment(p, {0.0, -0.7}, {0.08, -0.98}) - 0.05;
  return std::min(blade, stalk);
}

double snowflake_outline(Vec2 p) {
  // Fold the plane into one half of a 60-degree sector, then draw one arm with two side branches.
  // The fold turns p back by whole sectors with tabulated cosines and mirrors it across the arm.
  constexpr double kSector = kPi / 3;
  static const std::array<Vec2, 6> turns = [] {
    std::array<Vec2, 6> result;
    for (int k = 0; k < 6; ++k) {
      result[k] = Vec2{std::cos(k * kSector), std::sin(k * kSector)};
    }
    return result;
  }();
  double angle = std::atan2(p.y, p.x);
  int sector = static_cast<int>(std::floor((angle + kSector / 2) / kSector));
  sector = ((sector % 6) + 6) % 6;
  Vec2 turn = turns[sector];
  Vec2 q{p.x * turn.x + p.y * turn.y, std::abs(p.y * turn.x - p.x * turn.y)};
  constexpr double kArm = 0.085;
  double arm = distance_to_segment(q, {0.0, 0.0}, {0.86, 0.0}) - kArm;
  static const Vec2 direction{std::cos(kPi / 3), std::sin(kPi / 3)};
  double near_branch = distance_to_segment(q, {0.36, 0.0}, Vec2{0.36, 0.0} + direction * 0.3) - kArm * 0.85;
  double far_branch = distance_to_segment(q, {0.62, 0.0}, Vec2{0.62, 0.0} + direction * 0.2) - kArm * 0.8;
  double hub = sd_circle(q, 0.2);
  return std::min({arm, near_branch, far_branch, hub});
}

double rounded_box(Vec3 p, Vec3 half, double rounding) {
  Vec3 q{std::abs(p.x) - half.x + rounding, std::abs(p.y) - half.y + rounding,
         std::abs(p.z) - half.z + rounding};
  Vec3 outside{std::max(q.x, 0.0), std::max(q.y, 0.0), std::max(q.z, 0.0)};
  return length(outside) + std::min(std::max({q.x, q.y, q.z}), 0.0) - rounding;
}

double pyramid(Vec3 p) {
  constexpr double kHalfBase = 0.68;
  constexpr double kHeight = 1.05;
  double norm = std::sqrt(kHeight * kHeight + kHalfBase * kHalfBase);
  double side_x = (std::abs(p.x) * kHeight + p.y * kHalfBase - kHalfBase * kHeight) / norm;
  double side_z = (std::abs(p.z) * kHeight + p.y * kHalfBase - kHalfBase * kHeight) / norm;
  return std::max({side_x, side_z, -p.y});
}

// Facet planes of the brilliant cut used by diamond(), in the gem's own frame (y along its axis).
struct DiamondFacets {
  static constexpr double kGirdleRadius = 0.7;
  static constexpr double kGirdleHeight = 0.85;
  static constexpr double kTableHeight = 1.17;
  static constexpr double kTableRadius = 0.4;

  std::array<Vec3, 8> pavilion_normals;       // 8 facets from the point to the girdle
  std::array<Vec2, 8> crown_directions;       // radial (cos, sin) of the 8 crown facets
  Vec2 crown_normal;                          // (radial, height) normal shared by the crown facets

  DiamondFacets() {
    crown_normal = Vec2{kTableHeight - kGirdleHeight, kGirdleRadius - kTableRadius};
    crown_normal = crown_normal * (1.0 / length(crown_normal));
    for (int k = 0; k < 8; ++k) {
      // the crown facets sit half a facet turned from the pavilion facets
      double pavilion_angle = k * kPi / 4 + kPi / 8;
      pavilion_normals[k] = normalize(Vec3{kGirdleHeight * std::cos(pavilion_angle), -kGirdleRadius,
                                           kGirdleHeight * std::sin(pavilion_angle)});
      double crown_angle = k * kPi / 4;
      crown_directions[k] = Vec2{std::cos(crown_angle), std::sin(crown_angle)};
    }
  }
};

double diamond(Vec3 p) {
  // A brilliant-cut gem: 8 pavilion facets from the point to the girdle, 8 crown facets (turned
  // by half a facet) up to a flat table. It rests on its point with its axis leaning back by
  // kLean, so that the camera sees the familiar side view rather than only the table.
  static const DiamondFacets facets;
  static const double lean_cos = std::cos(40 * kPi / 180);
  static const double lean_sin = std::sin(40 * kPi / 180);
  Vec3 axis{0.0, lean_cos, lean_sin};
  Vec3 back{0.0, -lean_sin, lean_cos};
  Vec3 g{p.x, dot(p, axis), dot(p, back)};

  double distance = std::max(g.y - DiamondFacets::kTableHeight,
                             revolve(g).x - DiamondFacets::kGirdleRadius);
  for (int k = 0; k < 8; ++k) {
    distance = std::max(distance, dot(g, facets.pavilion_normals[k]));
    double radial = g.x * facets.crown_directions[k].x + g.z * facets.crown_directions[k].y;
    distance = std::max(distance, (radial - DiamondFacets::kGirdleRadius) * facets.crown_normal.x +
                                      (g.y - DiamondFacets::kGirdleHeight) * facets.crown_normal.y);
  }
  return distance;
}

double mug(Vec3 p) {
  double cup = sd_polygon(revolve(p), mug_profile()) - 0.012;
  // The handle is half a vertical ring on the +x side.
  Vec2 ring{std::sqrt((p.x - 0.46) * (p.x - 0.46) + (p.y - 0.55) * (p.y - 0.55)) - 0.27, p.z};
  double handle = std::max(length(ring) - 0.065, 0.42 - p.x);
  return std::min(cup, handle);
}

double pot(Vec3 p) {
  double body = sd_polygon(revolve(p), pot_profile()) - 0.012;
  // Two horizontal loop handles on the left and right just under the rim.
  Vec3 side{std::abs(p.x), p.y, p.z};
  Vec2 loop{std::sqrt((side.x - 0.72) * (side.x - 0.72) + side.z * side.z) - 0.15, side.y - 0.52};
  double handles = std::max(length(loop) - 0.045, 0.68 - side.x);
  return std::min(body, handles);
}

double cap(Vec3 p) {
  // Crown: the upper half of an ellipsoid; visor: a thin flat lip toward -z; a button on top.
  Vec3 radii{0.55, 0.5, 0.58};
  Vec3 q{p.x / radii.x, p.y / radii.y, (p.z - 0.08) / radii.z};
  double crown = std::max((length(q) - 1.0) * 0.5, -p.y);
  Vec2 flat{p.x, p.z};
  double visor_outline = std::max(sd_circle(flat - Vec2{0.0, -0.3}, 0.62), flat.y + 0.05);
  double visor = extrude(visor_outline, p.y, 0.05, 0.015);
  double button = length(p - Vec3{0.0, 0.5, 0.08}) - 0.06;
  return std::min({crown, visor, button});
}

double flat_shape(double outline_distance, Vec3 p, double height = kFlatHeight) {
  return extrude(outline_distance, p.y, height, kFlatRounding);
}

}  // namespace

double shape_distance(Shape shape, Vec3 p) {
  Vec2 floor{p.x, p.z};
  switch (shape) {
    case Shape::kCube:
      return rounded_box(p - Vec3{0.0, 0.58, 0.0}, {0.58, 0.58, 0.58}, 0.06);
    case Shape::kSphere:
      return length(p - Vec3{0.0, 0.68, 0.0}) - 0.68;
    case Shape::kCylinder:
      return sd_rectangle(revolve(p) - Vec2{0.0, 0.6}, {0.55 - 0.05, 0.6 - 0.05}) - 0.05;
    case Shape::kMug:
      return mug(p);
    case Shape::kPentagon:
      return flat_shape(sd_polygon(floor, pentagon_outline()), p);
    case Shape::kHeart:
      return flat_shape(heart_outline(floor), p);
    case Shape::kCone: {
      static const std::vector<Vec2> triangle = {{-0.66, 0.0}, {0.66, 0.0}, {0.0, 1.35}};
      return sd_polygon(revolve(p), triangle);
    }
    case Shape::kPyramid:
      return pyramid(p);
    case Shape::kDiamond:
      return diamond(p);
    case Shape::kMoon:
      return flat_shape(moon_outline(floor), p);
    case Shape::kCross:
      return flat_shape(cross_outline(floor), p);
    case Shape::kSnowflake:
      return flat_shape(snowflake_outline(floor), p, 0.18);
    case Shape::kLeaf: {
      double blade = flat_shape(leaf_outline(floor), p, 0.14);
      double midrib = std::sqrt(p.x * p.x + (p.y - 0.16) * (p.y - 0.16)) - 0.045;
      return std::max(blade, -midrib);
    }
    case Shape::kArrow:
      return flat_shape(sd_polygon(floor, arrow_outline()), p);
    case Shape::kStar:
      return flat_shape(sd_polygon(floor, star_outline()), p);
    case Shape::kTorus: {
      Vec2 q{revolve(p).x - 0.55, p.y - 0.21};
      return length(q) - 0.21;
    }
    case Shape::kPot:
      return pot(p);
    case Shape::kCap:
      return cap(p);
  }
  return 1e9;
}

LocalBounds shape_bounds(Shape shape) {
  switch (shape) {
    case Shape::kCube:
      return {{-0.6, 0.0, -0.6}, {0.6, 1.17, 0.6}};
    case Shape::kSphere:
      return {{-0.7, 0.0, -0.7}, {0.7, 1.37, 0.7}};
    case Shape::kCylinder:
      return {{-0.57, 0.0, -0.57}, {0.57, 1.21, 0.57}};
    case Shape::kMug:
      return {{-0.49, 0.0, -0.49}, {0.82, 1.08, 0.49}};
    case Shape::kCone:
      return {{-0.68, 0.0, -0.68}, {0.68, 1.37, 0.68}};
    case Shape::kPyramid:
      return {{-0.7, 0.0, -0.7}, {0.7, 1.07, 0.7}};
    case Shape::kDiamond:
      return {{-0.72, 0.0, -0.5}, {0.72, 1.16, 1.38}};
    case Shape::kTorus:
      return {{-0.78, 0.0, -0.78}, {0.78, 0.44, 0.78}};
    case Shape::kPot:
      return {{-0.95, 0.0, -0.95}, {0.95, 0.73, 0.95}};
    case Shape::kCap:
      return {{-0.65, 0.0, -0.94}, {0.65, 0.58, 0.68}};
    case Shape::kLeaf:
      return {{-0.42, 0.0, -1.05}, {0.42, 0.16, 0.75}};
    case Shape::kSnowflake:
      return {{-0.95, 0.0, -0.95}, {0.95, 0.2, 0.95}};
    default:
      return {{-0.9, 0.0, -0.9}, {0.9, kFlatHeight + 0.02, 0.9}};
  }
}

double canonical_turn_degrees(Shape shape) {
  switch (shape) {
    case Shape::kCube:
      return 28;
    case Shape::kPyramid:
      return 35;
    case Shape::kCap:
      return 60;
    case Shape::kMug:
      return 15;
    default:
      return 0;
  }
}

}  // namespace detail

}  // namespace clipscope::scenes
