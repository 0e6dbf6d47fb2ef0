// Throughput of the CLIP tokenizer on the 431 fixture captions (400 COCO captions and 31 hard
// cases), in captions per second: cleaning alone, tokenize() with a warm per-word cache, and with
// the cache cold (a fresh Tokenizer for every pass). Reads ../shared (or $CLIPSCOPE_SHARED_DIR);
// docs/tokenizer.md records the command and the figures.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "clipscope/text/tokenizer.h"

namespace {

using clipscope::text::Tokenizer;

std::filesystem::path shared_path(const std::string& relative) {
  const char* root = std::getenv("CLIPSCOPE_SHARED_DIR");
  std::filesystem::path base = root != nullptr
                                   ? std::filesystem::path(root)
                                   : std::filesystem::path(CLIPSCOPE_SOURCE_DIR) / ".." / "shared";
  std::filesystem::path path = base / relative;
  if (!std::filesystem::exists(path)) {
    throw std::runtime_error("shared fixture missing: '" + path.string() +
                             "'; place the shared folder beside the clone or set "
                             "CLIPSCOPE_SHARED_DIR");
  }
  return path;
}

const std::vector<std::string>& captions() {
  static const std::vector<std::string> lines = [] {
    std::ifstream stream(shared_path("fixtures/open_clip-2.30.0/captions.txt"), std::ios::binary);
    std::vector<std::string> result;
    std::string line;
    while (std::getline(stream, line)) result.push_back(line);
    return result;
  }();
  return lines;
}

const std::filesystem::path& vocabulary() {
  static const std::filesystem::path path = shared_path("vocab/bpe_simple_vocab_16e6.txt.gz");
  return path;
}

void set_rate(benchmark::State& state) {
  state.counters["captions/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * captions().size()), benchmark::Counter::kIsRate);
}

void BM_CleanText(benchmark::State& state) {
  for (auto _ : state) {
    for (const std::string& caption : captions()) {
      benchmark::DoNotOptimize(clipscope::text::clean_text(caption));
    }
  }
  set_rate(state);
}
BENCHMARK(BM_CleanText)->Unit(benchmark::kMillisecond);

void BM_TokenizeWarmCache(benchmark::State& state) {
  Tokenizer tokenizer = Tokenizer::from_bpe_gz(vocabulary());
  tokenizer.tokenize(captions());
  for (auto _ : state) benchmark::DoNotOptimize(tokenizer.tokenize(captions()));
  set_rate(state);
}
BENCHMARK(BM_TokenizeWarmCache)->Unit(benchmark::kMillisecond);

void BM_TokenizeColdCache(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    // a copy shares the cache, so reload to start cold
    Tokenizer tokenizer = Tokenizer::from_bpe_gz(vocabulary());
    state.ResumeTiming();
    benchmark::DoNotOptimize(tokenizer.tokenize(captions()));
  }
  set_rate(state);
}
BENCHMARK(BM_TokenizeColdCache)->Unit(benchmark::kMillisecond);

void BM_LoadVocabulary(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer::from_bpe_gz(vocabulary()));
}
BENCHMARK(BM_LoadVocabulary)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
