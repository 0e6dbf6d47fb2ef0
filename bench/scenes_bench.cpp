// Rendering time of SimCO scenes with default layouts and antialiasing, at 96 x 96 (the training
// sampler's size) and 512 x 512 (the default set size), on 1 and 2 threads.
// Run: build-<dir>/scenes_bench [--benchmark_filter=...]. With threads:1 the CPU column is the
// whole cost of a scene. The Time column is wall time, so it grows when other processes share the cores.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "clipscope/scenes/layout.h"
#include "clipscope/scenes/renderer.h"
#include "clipscope/scenes/shapes.h"

namespace {

using namespace clipscope::scenes;

std::vector<ObjectPlacement> default_scene(int count, const RenderOptions& options) {
  std::vector<Shape> shapes = {Shape::kMug, Shape::kStar, Shape::kTorus, Shape::kSnowflake, Shape::kCube};
  LayoutOptions layout;
  auto footprint = [&](int i, double rotation) {
    Silhouette silhouette = measure_silhouette(shapes[i], rotation, 1.0, options);
    return Footprint{silhouette.width / silhouette.height, silhouette.fill};
  };
  auto boxes = plan_layout(count, footprint, layout, 1.0, 3);
  std::vector<ObjectPlacement> objects;
  for (int i = 0; i < count; ++i) {
    ObjectPlacement placement;
    placement.shape = shapes[i];
    placement.center_x = boxes[i].center_x;
    placement.center_y = boxes[i].center_y;
    placement.box_area = boxes[i].area;
    placement.rotation_degrees = boxes[i].rotation_degrees;
    objects.push_back(placement);
  }
  return objects;
}

void BM_RenderSimcoScene(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(2)));
  RenderOptions options;
  options.width = options.height = static_cast<int>(state.range(1));
  // default_scene measures every outline first, so the loop times rendering with warm outlines
  auto objects = default_scene(static_cast<int>(state.range(0)), options);
  for (auto _ : state) {
    benchmark::DoNotOptimize(render_scene(objects, options));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_RenderSimcoScene)
    ->ArgsProduct({{2, 3, 5}, {96, 512}, {1, 2}})
    ->ArgNames({"objects", "size", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
