// Formatting of tensor shapes for error messages, private to the model area.
#pragma once

#include <torch/types.h>

#include <string>

namespace clipscope::model::detail {

/// Returns a shape as "[2, 3]" ("[]" for a scalar).
inline std::string shape_string(torch::IntArrayRef sizes) {
  std::string text = "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(sizes[i]);
  }
  return text + "]";
}

}  // namespace clipscope::model::detail
