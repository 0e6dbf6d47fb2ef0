// A deterministic encoder for experiment tests. A text embeds as a weighted sum of one-hot
// vectors of the vocabulary names it mentions, the k-th mentioned name weighted `decay`^k, so the
// first-mentioned object always dominates. An "image" is a text file "name:weight,name:weight"
// and embeds as the weighted one-hot sum, so the largest weight dominates.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/model/encoder.h"

namespace clipscope::testing {

class StandInEncoder : public model::Encoder {
 public:
  explicit StandInEncoder(std::vector<std::string> names, double decay = 0.5, bool text = true, bool image = true)
      : names_(std::move(names)), decay_(decay), text_(text), image_(image) {}

  nlohmann::json identity() const override {
    return {{"name", "stand-in"}, {"weights_sha256", "stand-in-weights"}, {"activation", "none"},
            {"preprocess", "none"}, {"embed_dim", dimension()}};
  }
  bool has_text_tower() const override { return text_; }
  bool has_image_tower() const override { return image_; }

  torch::Tensor encode_texts(const std::vector<std::string>& texts) override {
    if (!text_) fail(ErrorKind::kUnsupported, "stand-in has no text tower");
    text_calls += static_cast<int64_t>(texts.size());
    torch::Tensor out = torch::zeros({static_cast<int64_t>(texts.size()), dimension()});
    for (size_t row = 0; row < texts.size(); ++row) {
      // longer names claim their text first, so "dog" is not found inside "hot dog"
      std::vector<size_t> by_length(names_.size());
      std::iota(by_length.begin(), by_length.end(), 0);
      std::stable_sort(by_length.begin(), by_length.end(),
                       [&](size_t a, size_t b) { return names_[a].size() > names_[b].size(); });
      std::vector<bool> covered(texts[row].size(), false);
      std::vector<std::pair<size_t, size_t>> found;  // (offset, name index)
      for (size_t index : by_length) {
        size_t at = find_free_word(texts[row], names_[index], covered);
        if (at == std::string::npos) continue;
        std::fill(covered.begin() + at, covered.begin() + at + names_[index].size(), true);
        found.emplace_back(at, index);
      }
      std::sort(found.begin(), found.end());
      double weight = 1.0;
      for (const auto& [at, index] : found) {
        out[static_cast<int64_t>(row)][static_cast<int64_t>(index)] += weight;
        weight *= decay_;
      }
      out[static_cast<int64_t>(row)][dimension() - 1] = 0.01;  // keeps empty texts non-zero
    }
    return out;
  }

  torch::Tensor encode_images(const std::vector<std::filesystem::path>& images) override {
    if (!image_) fail(ErrorKind::kUnsupported, "stand-in has no image tower");
    image_calls += static_cast<int64_t>(images.size());
    torch::Tensor out = torch::zeros({static_cast<int64_t>(images.size()), dimension()});
    for (size_t row = 0; row < images.size(); ++row) {
      std::istringstream parts(io::read_file(images[row]));
      std::string part;
      while (std::getline(parts, part, ',')) {
        size_t colon = part.find(':');
        auto index = std::find(names_.begin(), names_.end(), part.substr(0, colon)) - names_.begin();
        out[static_cast<int64_t>(row)][index] += std::stod(part.substr(colon + 1));
      }
      out[static_cast<int64_t>(row)][dimension() - 1] = 0.01;
    }
    return out;
  }

  int64_t dimension() const { return static_cast<int64_t>(names_.size()) + 1; }

  int64_t text_calls = 0;
  int64_t image_calls = 0;

 private:
  static size_t find_free_word(const std::string& text, const std::string& word, const std::vector<bool>& covered) {
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
      if (covered[at]) continue;
      bool start_ok = at == 0 || !std::isalpha(static_cast<unsigned char>(text[at - 1]));
      size_t end = at + word.size();
      bool end_ok = end == text.size() || !std::isalpha(static_cast<unsigned char>(text[end]));
      if (start_ok && end_ok) return at;
    }
    return std::string::npos;
  }

  std::vector<std::string> names_;
  double decay_;
  bool text_;
  bool image_;
};

}  // namespace clipscope::testing
