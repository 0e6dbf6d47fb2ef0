// A deterministic CPU ray marcher that draws SimCO shapes on a light-grey studio floor seen from
// above at an angle through an orthographic camera, with soft shadows and antialiasing. It also
// returns a label image (slot index + 1 per pixel). Where objects go is decided in scenes/layout.h.
#pragma once

#include <vector>

#include "clipscope/image/image.h"
#include "clipscope/scenes/shapes.h"

namespace clipscope::scenes {

/// Version tag of the renderer, stored in every manifest row. It changes whenever the same options
/// would give different pixels.
inline constexpr const char* kRendererVersion = "clipscope-scenes/3";

/// Image size, camera and quality settings shared by every image of a set.
struct RenderOptions {
  int width = 512;                ///< Output width in pixels.
  int height = 512;               ///< Output height in pixels.
  double elevation_degrees = 50;  ///< Camera angle above the floor: 90 looks straight down.
  int supersampling = 3;          ///< Odd n: edge pixels average n x n samples; 1 disables antialiasing.
};

/// One object of a scene, positioned in image terms.
struct ObjectPlacement {
  Shape shape = Shape::kCube;
  Rgb color{0.13, 0.33, 0.85};
  double center_x = 0.5;         ///< Centre of the object's image box, as a fraction of the width.
  double center_y = 0.5;         ///< Centre of the object's image box, as a fraction of the height (0 = top).
  double box_area = 0.05;        ///< Area of the object's image box as a fraction of the frame.
  double rotation_degrees = 0;   ///< Turn about the vertical axis, counter-clockwise seen from above.
};

/// Where a shape lands in the image at a given pose, per unit of box size.
struct Silhouette {
  double width = 0;      ///< Box width as a fraction of the frame width.
  double height = 0;     ///< Box height as a fraction of the frame height.
  double fill = 0;       ///< Fraction of the box the shape covers (0..1).
};

/// Measures the image box and coverage of `shape` drawn with `box_area` (fraction of the frame)
/// at `rotation_degrees`, sampling its outline on a 96 x 96 grid. Layouts use it to place objects
/// without overlap and to keep size ratios; the exact box comes from the rendered labels.
Silhouette measure_silhouette(Shape shape, double rotation_degrees, double box_area,
                              const RenderOptions& options);

/// A rendered scene.
struct RenderedScene {
  image::Image rgb;     ///< The picture, mode RGB.
  image::Image labels;  ///< Mode L: 0 for the floor, i + 1 where object i is visible at the pixel centre.
};

/// Renders `objects` (at most 254) over the studio floor. The result depends only on the
/// arguments: it is bit-identical for any thread count. Throws Error(kInvalidArgument) for a size
/// below 8 or above 8192 pixels, an even supersampling factor or a box area outside (0, 1].
RenderedScene render_scene(const std::vector<ObjectPlacement>& objects, const RenderOptions& options);

}  // namespace clipscope::scenes
