#include "clipscope/scenes/renderer.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <tuple>

#include "clipscope/error.h"
#include "shape_geometry.h"

namespace clipscope::scenes {

namespace {

using detail::Vec3;

// World units: the frame spans [-1, 1] vertically in the camera plane. The camera starts far
// enough back that no object reaches it.
constexpr double kCameraDistance = 12.0;
constexpr int kMaxSteps = 220;
constexpr double kStepSafety = 0.9;  // some shape distances are bounds, not exact
constexpr int kSilhouetteGrid = 96;
constexpr size_t kSilhouetteCacheSize = 1 << 16;

constexpr double kFloorAlbedo = 0.70;  // sRGB 0.85 grey, in linear light
constexpr double kAmbient = 0.32;
constexpr double kKeyLight = 0.78;
constexpr double kFillLight = 0.14;
constexpr double kSpecular = 0.38;
constexpr double kShininess = 60;
constexpr double kShadowSoftness = 9;  // larger gives harder shadow edges
constexpr double kShadowReach = 1.5;   // bound radius multiple within which an object darkens a point
constexpr int kShadowSteps = 32;
constexpr double kShadowMinStep = 0.01;  // world units; the frame is 2 units high
constexpr double kShadowMaxStep = 0.12;
constexpr double kShadowDark = 1e-3;   // light estimate treated as full shadow
constexpr double kEdgeThreshold = 0.12;  // colour difference (0..1) that triggers supersampling

const Vec3 kKeyDirection = detail::normalize({-0.55, 0.9, -0.45});  // towards the key light
const Vec3 kFillDirection = detail::normalize({0.8, 0.5, -0.3});

struct Camera {
  Vec3 forward;
  Vec3 right{1, 0, 0};
  Vec3 up;
  double half_width = 1;
  double half_height = 1;
};

Camera make_camera(const RenderOptions& options) {
  double elevation = options.elevation_degrees * std::numbers::pi / 180;
  Camera camera;
  camera.forward = {0, -std::sin(elevation), std::cos(elevation)};
  camera.up = {0, std::cos(elevation), std::sin(elevation)};
  camera.half_width = static_cast<double>(options.width) / options.height;
  return camera;
}

struct Ray {
  Vec3 origin;
  Vec3 direction;
};

// The ray through camera-plane point (a, b): a to the right, b up, both in world units.
Ray camera_ray(const Camera& camera, double a, double b) {
  return {camera.right * a + camera.up * b - camera.forward * kCameraDistance, camera.forward};
}

// A shape instance in world space.
struct WorldObject {
  Shape shape = Shape::kCube;
  Vec3 position;
  double scale = 1;
  double cos_turn = 1;
  double sin_turn = 0;
  Vec3 albedo{0.5, 0.5, 0.5};
  Vec3 bound_centre;
  double bound_radius = 1;
};

WorldObject make_object(Shape shape, Vec3 position, double scale, double rotation_degrees) {
  WorldObject object;
  object.shape = shape;
  object.position = position;
  object.scale = scale;
  double turn = (rotation_degrees + detail::canonical_turn_degrees(shape)) * std::numbers::pi / 180;
  object.cos_turn = std::cos(turn);
  object.sin_turn = std::sin(turn);
  auto bounds = detail::shape_bounds(shape);
  Vec3 centre = (bounds.min + bounds.max) * 0.5;
  Vec3 half = (bounds.max - bounds.min) * 0.5;
  // Rotation about y moves the box centre in x and z.
  Vec3 turned{object.cos_turn * centre.x - object.sin_turn * centre.z, centre.y,
              object.sin_turn * centre.x + object.cos_turn * centre.z};
  object.bound_centre = position + turned * scale;
  object.bound_radius = detail::length(half) * scale;
  return object;
}

double object_distance(const WorldObject& object, Vec3 p) {
  Vec3 q = (p - object.position) * (1.0 / object.scale);
  Vec3 local{object.cos_turn * q.x + object.sin_turn * q.z, q.y,
             -object.sin_turn * q.x + object.cos_turn * q.z};
  return detail::shape_distance(object.shape, local) * object.scale;
}

// Entry and exit distances of a ray with a sphere; false if it misses.
bool sphere_interval(const Ray& ray, Vec3 centre, double radius, double& enter, double& leave) {
  Vec3 offset = ray.origin - centre;
  double b = detail::dot(offset, ray.direction);
  double c = detail::dot(offset, offset) - radius * radius;
  double discriminant = b * b - c;
  if (discriminant < 0) {
    return false;
  }
  double root = std::sqrt(discriminant);
  enter = -b - root;
  leave = -b + root;
  return leave > 0;
}

struct Candidate {
  int index;
  double enter;
  double leave;
};

struct Hit {
  int object = -1;  // -1 for the floor
  double t = 0;
};

// Sphere-traces `ray` against the objects whose bounds it crosses before `t_limit`.
Hit trace(const std::vector<WorldObject>& objects, const Ray& ray, double t_limit, double epsilon) {
  Candidate candidates[256];
  int count = 0;
  double t = t_limit;
  double t_end = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    double enter = 0, leave = 0;
    if (sphere_interval(ray, objects[i].bound_centre, objects[i].bound_radius, enter, leave) &&
        enter < t_limit) {
      candidates[count++] = {static_cast<int>(i), std::max(enter, 0.0), leave};
      t = std::min(t, std::max(enter, 0.0));
      t_end = std::max(t_end, std::min(leave, t_limit));
    }
  }
  if (count == 0) {
    return {};
  }
  for (int step = 0; step < kMaxSteps && t < t_end; ++step) {
    Vec3 p = ray.origin + ray.direction * t;
    double nearest = 1e9;
    int nearest_index = -1;
    // A bound not yet reached limits the step but never counts as a hit. Only surfaces do.
    double to_next_bound = 1e9;
    bool active = false;
    for (int k = 0; k < count; ++k) {
      const Candidate& candidate = candidates[k];
      if (t > candidate.leave) {
        continue;
      }
      active = true;
      if (t < candidate.enter - epsilon) {
        to_next_bound = std::min(to_next_bound, candidate.enter - t);
        continue;
      }
      double distance = object_distance(objects[candidate.index], p);
      if (distance < nearest) {
        nearest = distance;
        nearest_index = candidate.index;
      }
    }
    if (!active) {
      break;
    }
    if (nearest < epsilon) {
      return {nearest_index, t};
    }
    t += std::max(std::min(nearest * kStepSafety, to_next_bound), epsilon * 0.5);
  }
  return {};
}

Vec3 object_normal(const WorldObject& object, Vec3 p, double h) {
  // Tetrahedral central differences: four distance evaluations.
  const Vec3 k0{1, -1, -1}, k1{-1, -1, 1}, k2{-1, 1, -1}, k3{1, 1, 1};
  Vec3 sum = k0 * object_distance(object, p + k0 * h) + k1 * object_distance(object, p + k1 * h) +
             k2 * object_distance(object, p + k2 * h) + k3 * object_distance(object, p + k3 * h);
  return detail::normalize(sum);
}

double scene_distance_near(const std::vector<WorldObject>& objects, Vec3 p, double reach) {
  double nearest = 1e9;
  for (const auto& object : objects) {
    double to_bound = detail::length(p - object.bound_centre) - object.bound_radius;
    if (to_bound > reach) {
      nearest = std::min(nearest, to_bound);
      continue;
    }
    nearest = std::min(nearest, object_distance(object, p));
  }
  return nearest;
}

// Fraction of the key light reaching p (0 = full shadow), with penumbrae that widen with distance.
// The march covers only the stretches of the ray inside some object's widened bound, takes at most
// kShadowSteps steps and stops once the point is fully dark.
double soft_shadow(const std::vector<WorldObject>& objects, Vec3 p, double start) {
  struct Span {
    const WorldObject* object;
    double enter;
    double leave;
  };
  Span spans[256];
  int count = 0;
  Ray ray{p, kKeyDirection};
  double t = 1e9;
  double t_end = 0;
  for (const auto& object : objects) {
    double enter = 0, leave = 0;
    if (sphere_interval(ray, object.bound_centre, object.bound_radius * kShadowReach, enter, leave) &&
        leave > start) {
      spans[count++] = {&object, std::max(enter, start), leave};
      t = std::min(t, std::max(enter, start));
      t_end = std::max(t_end, leave);
    }
  }

  double light = 1;
  for (int step = 0; step < kShadowSteps && t < t_end; ++step) {
    Vec3 q = p + kKeyDirection * t;
    double distance = 1e9;
    double next_enter = 1e9;
    bool inside = false;
    for (int k = 0; k < count; ++k) {
      if (t > spans[k].leave) {
        continue;
      }
      if (t < spans[k].enter) {
        next_enter = std::min(next_enter, spans[k].enter);
        continue;
      }
      inside = true;
      distance = std::min(distance, object_distance(*spans[k].object, q));
    }
    if (!inside) {
      // a gap between bounds: jump to the next one
      t = next_enter;
      continue;
    }
    light = std::min(light, kShadowSoftness * distance / t);
    if (light < kShadowDark) {
      return 0;
    }
    t += std::clamp(distance, kShadowMinStep, kShadowMaxStep);
  }
  light = std::clamp(light, 0.0, 1.0);
  return light * light * (3 - 2 * light);
}

// Ambient occlusion from five distance samples along the normal.
double ambient_occlusion(const std::vector<WorldObject>& objects, Vec3 p, Vec3 normal) {
  double occlusion = 0;
  double weight = 1;
  for (int i = 1; i <= 5; ++i) {
    double h = 0.012 * i;
    double distance = scene_distance_near(objects, p + normal * h, 0.1);
    occlusion += (h - std::min(distance, h)) * weight;
    weight *= 0.75;
  }
  return std::clamp(1 - 9 * occlusion, 0.0, 1.0);
}

double to_linear(double srgb) { return std::pow(srgb, 2.2); }
double to_srgb(double linear) { return std::pow(std::clamp(linear, 0.0, 1.0), 1 / 2.2); }

struct Sample {
  Vec3 color;  // sRGB, 0..1
  int label = 0;
};

Sample shade(const std::vector<WorldObject>& objects, const Camera& camera, double a, double b,
             double epsilon) {
  Ray ray = camera_ray(camera, a, b);
  double t_floor = ray.origin.y / -ray.direction.y;
  Hit hit = trace(objects, ray, t_floor, epsilon);

  if (hit.object < 0) {
    Vec3 p = ray.origin + ray.direction * t_floor;
    Vec3 up{0, 1, 0};
    double shadow = soft_shadow(objects, p, epsilon * 4);
    double occlusion = ambient_occlusion(objects, p, up);
    // A studio spotlight: the floor darkens slowly away from the frame centre.
    double spot = 1 - 0.12 * (a * a / (camera.half_width * camera.half_width) + b * b);
    double light = (kAmbient * occlusion + kKeyLight * kKeyDirection.y * shadow) * spot;
    double value = to_srgb(kFloorAlbedo * light);
    return {{value, value, value}, 0};
  }

  const WorldObject& object = objects[hit.object];
  Vec3 p = ray.origin + ray.direction * hit.t;
  Vec3 normal = object_normal(object, p, std::max(epsilon, 1e-4 * object.scale));
  Vec3 lifted = p + normal * (epsilon * 3);
  double shadow = soft_shadow(objects, lifted, epsilon * 4);
  double occlusion = ambient_occlusion(objects, p, normal);
  double key = std::max(detail::dot(normal, kKeyDirection), 0.0) * shadow;
  double fill = std::max(detail::dot(normal, kFillDirection), 0.0);
  double sky = 0.75 + 0.25 * normal.y;
  Vec3 half_vector = detail::normalize(kKeyDirection - ray.direction);
  double specular =
      kSpecular * std::pow(std::max(detail::dot(normal, half_vector), 0.0), kShininess) * shadow;
  double diffuse = kAmbient * sky * occlusion + kKeyLight * key + kFillLight * fill;
  Vec3 linear = object.albedo * diffuse + Vec3{specular, specular, specular};
  return {{to_srgb(linear.x), to_srgb(linear.y), to_srgb(linear.z)}, hit.object + 1};
}

void check_options(const RenderOptions& options) {
  if (options.width < 8 || options.height < 8 || options.width > 8192 || options.height > 8192) {
    fail(ErrorKind::kInvalidArgument, "image size {}x{} is out of range; use 8 to 8192 pixels per side",
         options.width, options.height);
  }
  if (options.supersampling < 1 || options.supersampling % 2 == 0 || options.supersampling > 9) {
    fail(ErrorKind::kInvalidArgument, "supersampling {} is invalid; use an odd number from 1 to 9",
         options.supersampling);
  }
  if (!(options.elevation_degrees >= 10 && options.elevation_degrees <= 90)) {
    fail(ErrorKind::kInvalidArgument, "camera elevation {} degrees is out of range; use 10 to 90",
         options.elevation_degrees);
  }
}

// Silhouette of a shape at scale 1 with its local origin at the world origin, in camera-plane units.
struct UnitSilhouette {
  double min_a = 0, max_a = 0, min_b = 0, max_b = 0;
  double area = 0;
};

UnitSilhouette trace_unit_silhouette(Shape shape, double rotation_degrees, const Camera& camera) {
  WorldObject object = make_object(shape, {0, 0, 0}, 1, rotation_degrees);
  double centre_a = detail::dot(object.bound_centre, camera.right);
  double centre_b = detail::dot(object.bound_centre, camera.up);
  double radius = object.bound_radius;
  double cell = 2 * radius / kSilhouetteGrid;
  std::vector<WorldObject> single{object};

  UnitSilhouette result{1e9, -1e9, 1e9, -1e9, 0};
  int hits = 0;
  for (int j = 0; j < kSilhouetteGrid; ++j) {
    for (int i = 0; i < kSilhouetteGrid; ++i) {
      double a = centre_a - radius + (i + 0.5) * cell;
      double b = centre_b - radius + (j + 0.5) * cell;
      Ray ray = camera_ray(camera, a, b);
      double t_floor = ray.origin.y / -ray.direction.y;
      if (trace(single, ray, t_floor, 1e-4).object < 0) {
        continue;
      }
      ++hits;
      result.min_a = std::min(result.min_a, a - cell / 2);
      result.max_a = std::max(result.max_a, a + cell / 2);
      result.min_b = std::min(result.min_b, b - cell / 2);
      result.max_b = std::max(result.max_b, b + cell / 2);
    }
  }
  if (hits == 0) {
    fail(ErrorKind::kInvalidArgument, "shape '{}' is not visible from elevation {} degrees",
         shape_name(shape), std::acos(camera.up.y) * 180 / std::numbers::pi);
  }
  result.area = hits * cell * cell;
  return result;
}

// Outlines are pure functions of (shape, turn, elevation), and layouts and renders ask for the
// same few repeatedly (training draws whole-degree turns), so they are kept for the process.
UnitSilhouette measure_unit(Shape shape, double rotation_degrees, const Camera& camera) {
  using Key = std::tuple<int, double, double>;
  static std::mutex mutex;
  static std::map<Key, UnitSilhouette> cache;
  Key key{static_cast<int>(shape), rotation_degrees, camera.up.y};
  {
    std::lock_guard lock(mutex);
    auto found = cache.find(key);
    if (found != cache.end()) {
      return found->second;
    }
  }
  UnitSilhouette unit = trace_unit_silhouette(shape, rotation_degrees, camera);
  std::lock_guard lock(mutex);
  if (cache.size() >= kSilhouetteCacheSize) {
    cache.clear();
  }
  cache.emplace(key, unit);
  return unit;
}

// World object for a placement: scale from the box area, floor position from the box centre.
WorldObject place(const ObjectPlacement& placement, const Camera& camera) {
  if (!(placement.box_area > 0 && placement.box_area <= 1)) {
    fail(ErrorKind::kInvalidArgument, "object box area {} is out of range; use a fraction in (0, 1]",
         placement.box_area);
  }
  UnitSilhouette unit = measure_unit(placement.shape, placement.rotation_degrees, camera);
  double frame_area = 4 * camera.half_width * camera.half_height;
  double unit_box = (unit.max_a - unit.min_a) * (unit.max_b - unit.min_b);
  double scale = std::sqrt(placement.box_area * frame_area / unit_box);

  // Camera-plane position the box centre must project to.
  double a = (2 * placement.center_x - 1) * camera.half_width;
  double b = (1 - 2 * placement.center_y) * camera.half_height;
  double origin_a = a - scale * (unit.min_a + unit.max_a) / 2;
  double origin_b = b - scale * (unit.min_b + unit.max_b) / 2;
  // A floor point (x, 0, z) projects to (x, z * up.z).
  Vec3 position{origin_a, 0, origin_b / camera.up.z};

  WorldObject object = make_object(placement.shape, position, scale, placement.rotation_degrees);
  object.albedo = {to_linear(placement.color.r), to_linear(placement.color.g),
                   to_linear(placement.color.b)};
  return object;
}

}  // namespace

Silhouette measure_silhouette(Shape shape, double rotation_degrees, double box_area,
                              const RenderOptions& options) {
  check_options(options);
  Camera camera = make_camera(options);
  UnitSilhouette unit = measure_unit(shape, rotation_degrees, camera);
  double unit_box = (unit.max_a - unit.min_a) * (unit.max_b - unit.min_b);
  double aspect = (unit.max_a - unit.min_a) / (unit.max_b - unit.min_b);
  // box_area * frame = w * h with w / h = aspect, in frame fractions.
  double frame_aspect = camera.half_width / camera.half_height;
  Silhouette silhouette;
  silhouette.width = std::sqrt(box_area * aspect / frame_aspect);
  silhouette.height = std::sqrt(box_area * frame_aspect / aspect);
  silhouette.fill = unit.area / unit_box;
  return silhouette;
}

RenderedScene render_scene(const std::vector<ObjectPlacement>& objects, const RenderOptions& options) {
  check_options(options);
  if (objects.size() > 254) {
    fail(ErrorKind::kInvalidArgument, "a scene holds at most 254 objects, got {}", objects.size());
  }
  Camera camera = make_camera(options);
  std::vector<WorldObject> world;
  for (const auto& placement : objects) {
    world.push_back(place(placement, camera));
  }

  int width = options.width;
  int height = options.height;
  double pixel = 2 * camera.half_height / height;
  double epsilon = pixel * 0.02;
  auto plane_point = [&](double x, double y, double& a, double& b) {
    a = (x / width * 2 - 1) * camera.half_width;
    b = (1 - y / height * 2) * camera.half_height;
  };

  // pass 1: one sample at every pixel centre
  std::vector<Sample> centre(static_cast<size_t>(width) * height);
  at::parallel_for(0, height, 1, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      for (int x = 0; x < width; ++x) {
        double a = 0, b = 0;
        plane_point(x + 0.5, y + 0.5, a, b);
        centre[y * width + x] = shade(world, camera, a, b, epsilon);
      }
    }
  });

  // pass 2: supersample pixels whose label or colour differs from a neighbour's
  RenderedScene scene;
  scene.rgb = image::Image::blank(width, height, image::PixelMode::kRGB);
  scene.labels = image::Image::blank(width, height, image::PixelMode::kL);
  int n = options.supersampling;
  at::parallel_for(0, height, 1, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      for (int x = 0; x < width; ++x) {
        const Sample& here = centre[y * width + x];
        bool edge = false;
        for (int dy = -1; dy <= 1 && !edge && n > 1; ++dy) {
          for (int dx = -1; dx <= 1 && !edge; ++dx) {
            int nx = x + dx, ny = static_cast<int>(y) + dy;
            if (nx < 0 || ny < 0 || nx >= width || ny >= height) {
              continue;
            }
            const Sample& other = centre[static_cast<size_t>(ny) * width + nx];
            Vec3 difference = here.color - other.color;
            double largest = std::max({std::abs(difference.x), std::abs(difference.y), std::abs(difference.z)});
            edge = other.label != here.label || largest > kEdgeThreshold;
          }
        }
        Vec3 color = here.color;
        if (edge) {
          Vec3 sum{0, 0, 0};
          for (int j = 0; j < n; ++j) {
            for (int i = 0; i < n; ++i) {
              if (i == n / 2 && j == n / 2) {
                sum = sum + here.color;
                continue;
              }
              double a = 0, b = 0;
              plane_point(x + (i + 0.5) / n, y + (j + 0.5) / n, a, b);
              sum = sum + shade(world, camera, a, b, epsilon).color;
            }
          }
          color = sum * (1.0 / (n * n));
        }
        uint8_t* out = scene.rgb.at(x, static_cast<int>(y));
        out[0] = static_cast<uint8_t>(std::lround(std::clamp(color.x, 0.0, 1.0) * 255));
        out[1] = static_cast<uint8_t>(std::lround(std::clamp(color.y, 0.0, 1.0) * 255));
        out[2] = static_cast<uint8_t>(std::lround(std::clamp(color.z, 0.0, 1.0) * 255));
        *scene.labels.at(x, static_cast<int>(y)) = static_cast<uint8_t>(here.label);
      }
    }
  });
  return scene;
}

}  // namespace clipscope::scenes
