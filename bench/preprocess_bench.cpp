// Throughput of image decoding and CLIP preprocessing on the 80 COCO photos of the shared open_clip
// fixtures (JPEG, about 640 x 480), in images/s ("items_per_second"). decode+preprocess is the path
// that feeds the image tower; the other cases split its cost. Threads(2) runs two images at once,
// as encoding does while the model computes.
// Run: build-<dir>/preprocess_bench [--benchmark_filter=...]; photos are read from
// $CLIPSCOPE_SHARED_DIR or ../shared beside the source tree.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "clipscope/image/decode.h"
#include "clipscope/image/preprocess.h"

namespace {

using namespace clipscope::image;

struct Photo {
  std::filesystem::path path;
  std::vector<uint8_t> bytes;
};

// The COCO photos listed in the open_clip fixture list, read into memory once.
const std::vector<Photo>& photos() {
  static const std::vector<Photo> loaded = [] {
    std::filesystem::path shared =
        std::getenv("CLIPSCOPE_SHARED_DIR") != nullptr
            ? std::filesystem::path(std::getenv("CLIPSCOPE_SHARED_DIR"))
            : std::filesystem::path(CLIPSCOPE_SOURCE_DIR) / ".." / "shared";
    std::filesystem::path folder = shared / "fixtures" / "open_clip-2.30.0";
    std::ifstream list(folder / "images.txt");
    std::vector<Photo> result;
    std::string line;
    while (std::getline(list, line)) {
      if (line.find("coco-mini") == std::string::npos) {
        continue;
      }
      Photo photo;
      photo.path = folder / line;
      std::ifstream in(photo.path, std::ios::binary);
      photo.bytes.assign(std::istreambuf_iterator<char>(in), {});
      result.push_back(std::move(photo));
    }
    return result;
  }();
  return loaded;
}

bool have_photos(benchmark::State& state) {
  if (photos().empty()) {
    state.SkipWithError(
        "no COCO photos found; place the shared folder beside the clone or set "
        "CLIPSCOPE_SHARED_DIR");
    return false;
  }
  return true;
}

void BM_DecodePreprocessFile(benchmark::State& state) {
  if (!have_photos(state)) return;
  const PreprocessConfig config;
  size_t i = state.thread_index();
  for (auto _ : state) {
    Image crop = preprocess_crop(decode_image(photos()[i % photos().size()].path), config);
    benchmark::DoNotOptimize(crop.pixels.data());
    i += state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodePreprocessFile)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodePreprocessFile)->Threads(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodePreprocessMemory(benchmark::State& state) {
  if (!have_photos(state)) return;
  PreprocessConfig config;
  config.style = static_cast<PreprocessStyle>(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    const Photo& photo = photos()[i++ % photos().size()];
    Image crop = preprocess_crop(
        decode_image(std::span<const uint8_t>(photo.bytes), photo.path.string()), config);
    benchmark::DoNotOptimize(crop.pixels.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(config.style == PreprocessStyle::kOpenClip ? "open_clip" : "hugging_face");
}
BENCHMARK(BM_DecodePreprocessMemory)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodeOnly(benchmark::State& state) {
  if (!have_photos(state)) return;
  size_t i = 0;
  for (auto _ : state) {
    const Photo& photo = photos()[i++ % photos().size()];
    Image image = decode_image(std::span<const uint8_t>(photo.bytes), photo.path.string());
    benchmark::DoNotOptimize(image.pixels.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PreprocessOnly(benchmark::State& state) {
  if (!have_photos(state)) return;
  std::vector<Image> decoded;
  for (const Photo& photo : photos()) {
    decoded.push_back(decode_image(std::span<const uint8_t>(photo.bytes), photo.path.string()));
  }
  const PreprocessConfig config;
  size_t i = 0;
  for (auto _ : state) {
    Image crop = preprocess_crop(decoded[i++ % decoded.size()], config);
    benchmark::DoNotOptimize(crop.pixels.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PreprocessOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_NormalizeBatch(benchmark::State& state) {
  if (!have_photos(state)) return;
  const PreprocessConfig config;
  std::vector<Image> crops;
  for (size_t i = 0; i < 32; ++i) {
    const Photo& photo = photos()[i % photos().size()];
    crops.push_back(preprocess_crop(
        decode_image(std::span<const uint8_t>(photo.bytes), photo.path.string()), config));
  }
  for (auto _ : state) {
    torch::Tensor batch = normalize_crops(crops, config);
    benchmark::DoNotOptimize(batch.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(crops.size()));
}
BENCHMARK(BM_NormalizeBatch)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
