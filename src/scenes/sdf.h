// Vector math and signed-distance primitives for the scene renderer (private to src/scenes).
// Distances are in the object's local units; 2D profiles live in the (x, z) floor plane for
// extrusions and in the (radius, height) plane for solids of revolution.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace clipscope::scenes::detail {

struct Vec2 {
  double x = 0, y = 0;
};

struct Vec3 {
  double x = 0, y = 0, z = 0;
};

inline Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
inline Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
inline Vec2 operator*(Vec2 a, double s) { return {a.x * s, a.y * s}; }
inline double dot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }
inline double length(Vec2 a) { return std::sqrt(dot(a, a)); }

inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline Vec3 operator*(Vec3 a, double s) { return {a.x * s, a.y * s, a.z * s}; }
inline Vec3 operator*(Vec3 a, Vec3 b) { return {a.x * b.x, a.y * b.y, a.z * b.z}; }
inline double dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline double length(Vec3 a) { return std::sqrt(dot(a, a)); }
inline Vec3 normalize(Vec3 a) { return a * (1.0 / length(a)); }
inline Vec3 cross(Vec3 a, Vec3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

/// Signed distance to a circle of radius r centred at the origin.
inline double sd_circle(Vec2 p, double r) { return length(p) - r; }

/// Signed distance to an axis-aligned rectangle with half sizes `half`.
inline double sd_rectangle(Vec2 p, Vec2 half) {
  Vec2 d{std::abs(p.x) - half.x, std::abs(p.y) - half.y};
  Vec2 outside{std::max(d.x, 0.0), std::max(d.y, 0.0)};
  return length(outside) + std::min(std::max(d.x, d.y), 0.0);
}

/// Distance to the segment a-b (unsigned).
inline double distance_to_segment(Vec2 p, Vec2 a, Vec2 b) {
  Vec2 pa = p - a, ba = b - a;
  double h = std::clamp(dot(pa, ba) / dot(ba, ba), 0.0, 1.0);
  return length(pa - ba * h);
}

/// Exact signed distance to a simple polygon (any winding), by edge distance and crossing parity.
inline double sd_polygon(Vec2 p, const std::vector<Vec2>& vertices) {
  double best = dot(p - vertices[0], p - vertices[0]);
  bool inside = false;
  size_t n = vertices.size();
  for (size_t i = 0, j = n - 1; i < n; j = i, ++i) {
    Vec2 a = vertices[i], b = vertices[j];
    Vec2 e = b - a, w = p - a;
    double h = std::clamp(dot(w, e) / dot(e, e), 0.0, 1.0);
    Vec2 d = w - e * h;
    best = std::min(best, dot(d, d));
    bool crosses = (a.y > p.y) != (b.y > p.y);
    if (crosses && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  double distance = std::sqrt(best);
  return inside ? -distance : distance;
}

/// Signed distance to a 2D profile extruded along y from 0 to `height`, with edges rounded by
/// `rounding` (the rounded solid keeps the same outer size).
inline double extrude(double profile_distance, double y, double height, double rounding) {
  double half = height * 0.5 - rounding;
  Vec2 w{profile_distance + rounding, std::abs(y - height * 0.5) - half};
  Vec2 outside{std::max(w.x, 0.0), std::max(w.y, 0.0)};
  return std::min(std::max(w.x, w.y), 0.0) + length(outside) - rounding;
}

/// Returns (distance from the y axis, y), the plane in which a solid of revolution's profile lives.
inline Vec2 revolve(Vec3 p) { return {std::sqrt(p.x * p.x + p.z * p.z), p.y}; }

}  // namespace clipscope::scenes::detail
