#include "clipscope/experiments/scene_set.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::experiments {
namespace {

// SHA-256 as specified in FIPS 180-4.
constexpr std::array<uint32_t, 64> kRoundConstants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

uint32_t rotate_right(uint32_t value, int bits) { return (value >> bits) | (value << (32 - bits)); }

void compress(std::array<uint32_t, 8>& state, const uint8_t* block) {
  std::array<uint32_t, 64> schedule{};
  for (int i = 0; i < 16; ++i) {
    schedule[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
                  (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = rotate_right(schedule[i - 15], 7) ^ rotate_right(schedule[i - 15], 18) ^ (schedule[i - 15] >> 3);
    uint32_t s1 = rotate_right(schedule[i - 2], 17) ^ rotate_right(schedule[i - 2], 19) ^ (schedule[i - 2] >> 10);
    schedule[i] = schedule[i - 16] + s0 + schedule[i - 7] + s1;
  }
  std::array<uint32_t, 8> v = state;
  for (int i = 0; i < 64; ++i) {
    uint32_t s1 = rotate_right(v[4], 6) ^ rotate_right(v[4], 11) ^ rotate_right(v[4], 25);
    uint32_t choice = (v[4] & v[5]) ^ (~v[4] & v[6]);
    uint32_t temp1 = v[7] + s1 + choice + kRoundConstants[i] + schedule[i];
    uint32_t s0 = rotate_right(v[0], 2) ^ rotate_right(v[0], 13) ^ rotate_right(v[0], 22);
    uint32_t majority = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
    uint32_t temp2 = s0 + majority;
    v = {temp1 + temp2, v[0], v[1], v[2], v[3] + temp1, v[4], v[5], v[6]};
  }
  for (int i = 0; i < 8; ++i) state[i] += v[i];
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  std::array<uint32_t, 8> state = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string padded(bytes);
  uint64_t bit_length = static_cast<uint64_t>(bytes.size()) * 8;
  padded.push_back(static_cast<char>(0x80));
  while (padded.size() % 64 != 56) padded.push_back('\0');
  for (int shift = 56; shift >= 0; shift -= 8) padded.push_back(static_cast<char>((bit_length >> shift) & 0xff));
  for (size_t offset = 0; offset < padded.size(); offset += 64) {
    compress(state, reinterpret_cast<const uint8_t*>(padded.data() + offset));
  }
  std::string hex;
  for (uint32_t word : state) hex += fmt::format("{:08x}", word);
  return hex;
}

SceneSet load_scene_set(const std::filesystem::path& folder) {
  std::filesystem::path manifest = folder / "manifest.json";
  if (!std::filesystem::exists(manifest)) {
    fail(ErrorKind::kNotFound, "dataset folder {} has no manifest.json; pass a folder made by clipscope scenes",
         folder.string());
  }
  std::string bytes = io::read_file(manifest);
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception& error) {
    fail(ErrorKind::kInvalidArgument, "{} is not valid JSON: {}", manifest.string(), error.what());
  }

  SceneSet scenes;
  scenes.folder = folder;
  scenes.manifest_sha256 = sha256_hex(bytes);
  try {
    scenes.objects = document.at("objects").get<std::vector<std::string>>();
    for (const auto& [name, file] : document.at("references").items()) {
      scenes.references[name] = folder / file.get<std::string>();
    }
    for (size_t i = 0; i < document.at("images").size(); ++i) {
      const nlohmann::json& entry = document["images"][i];
      SceneImage image;
      image.file = folder / entry.at("file").get<std::string>();
      image.objects = entry.at("objects").get<std::vector<std::string>>();
      image.large_slot = entry.at("large_slot").get<int64_t>();
      if (entry.contains("areas")) image.areas = entry["areas"].get<std::vector<double>>();
      if (image.objects.size() < 2 || image.large_slot < 0 ||
          image.large_slot >= static_cast<int64_t>(image.objects.size())) {
        fail(ErrorKind::kInvalidArgument, "{} image {} (\"{}\"): needs at least 2 objects and a large_slot among them",
             manifest.string(), i, image.file.string());
      }
      for (const std::string& name : image.objects) {
        if (std::find(scenes.objects.begin(), scenes.objects.end(), name) == scenes.objects.end()) {
          fail(ErrorKind::kInvalidArgument, "{} image {}: object \"{}\" is not in \"objects\"", manifest.string(), i,
               name);
        }
      }
      scenes.images.push_back(std::move(image));
    }
  } catch (const nlohmann::json::exception& error) {
    fail(ErrorKind::kInvalidArgument, "{} does not match the scene manifest layout: {}", manifest.string(),
         error.what());
  }
  if (scenes.images.empty()) fail(ErrorKind::kInvalidArgument, "{} lists no images", manifest.string());
  return scenes;
}

void write_scene_set(const SceneSet& scenes, const std::filesystem::path& folder) {
  nlohmann::json document{{"objects", scenes.objects}, {"references", nlohmann::json::object()},
                          {"images", nlohmann::json::array()}};
  for (const auto& [name, file] : scenes.references) {
    document["references"][name] = std::filesystem::relative(file, folder).string();
  }
  for (const SceneImage& image : scenes.images) {
    document["images"].push_back({{"file", std::filesystem::relative(image.file, folder).string()},
                                  {"objects", image.objects},
                                  {"large_slot", image.large_slot},
                                  {"areas", image.areas}});
  }
  io::write_file_atomic(folder / "manifest.json", document.dump(2) + "\n");
}

}  // namespace clipscope::experiments
