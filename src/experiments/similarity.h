// Helpers private to the experiments area: normalising embeddings and turning a similarity
// matrix into rows of floats.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "clipscope/model/encoder.h"
#include "clipscope/progress.h"

namespace clipscope::experiments::detail {

/// Returns rows scaled to unit L2 norm ([N, D] -> [N, D]); zero rows stay zero.
inline torch::Tensor l2_normalize(const torch::Tensor& embeddings) {
  return embeddings.to(torch::kFloat32) / embeddings.to(torch::kFloat32).norm(2, 1, true).clamp_min(1e-12);
}

/// Returns the cosine similarity matrix [N, M] as row vectors.
inline std::vector<std::vector<float>> cosine_rows(const torch::Tensor& left, const torch::Tensor& right) {
  torch::Tensor similarity = torch::matmul(l2_normalize(left), l2_normalize(right).t()).contiguous();  // [N, M]
  std::vector<std::vector<float>> rows(static_cast<size_t>(similarity.size(0)));
  const float* data = similarity.data_ptr<float>();
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].assign(data + i * similarity.size(1), data + (i + 1) * similarity.size(1));
  }
  return rows;
}

/// Joins strings with `separator`.
inline std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string joined;
  for (size_t i = 0; i < parts.size(); ++i) joined += (i ? separator : "") + parts[i];
  return joined;
}

/// Encodes texts in batches of 256 with a progress bar. Returns [N, D].
inline torch::Tensor encode_texts_batched(model::Encoder& encoder, const std::vector<std::string>& texts,
                                          const std::string& label) {
  constexpr size_t kBatch = 256;
  Progress progress(label, static_cast<int64_t>(texts.size()));
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < texts.size(); start += kBatch) {
    std::vector<std::string> batch(texts.begin() + start, texts.begin() + std::min(texts.size(), start + kBatch));
    parts.push_back(encoder.encode_texts(batch));
    progress.advance(static_cast<int64_t>(batch.size()));
  }
  return torch::cat(parts, 0);  // [N, D]
}

/// Encodes image files in batches of 64 with a progress bar. Returns [N, D].
inline torch::Tensor encode_images_batched(model::Encoder& encoder, const std::vector<std::filesystem::path>& files,
                                           const std::string& label) {
  constexpr size_t kBatch = 64;
  Progress progress(label, static_cast<int64_t>(files.size()));
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < files.size(); start += kBatch) {
    std::vector<std::filesystem::path> batch(files.begin() + start,
                                             files.begin() + std::min(files.size(), start + kBatch));
    parts.push_back(encoder.encode_images(batch));
    progress.advance(static_cast<int64_t>(batch.size()));
  }
  return torch::cat(parts, 0);  // [N, D]
}

}  // namespace clipscope::experiments::detail
