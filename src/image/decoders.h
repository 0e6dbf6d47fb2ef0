// Private interface between decode.cpp (file reading, format detection, error wording) and the
// libpng and libjpeg decoders.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "clipscope/error.h"
#include "clipscope/image/image.h"

namespace clipscope::image::detail {

/// What went wrong in a decoder, for decode.cpp to word the error.
enum class DecodeFailure {
  kNone,
  kTruncated,    ///< The data ends before the image does.
  kCorrupt,      ///< The library rejected the data; `message` holds its reason.
  kTooLarge,     ///< Width * height exceeds kMaxImagePixels; `message` holds the size.
  kUnsupported,  ///< Valid but not decodable as Pillow would (e.g. 12-bit JPEG); `message` says
                 ///< why.
};

/// Outcome of one decoder run.
struct DecodeResult {
  Image image;
  DecodeFailure failure = DecodeFailure::kNone;
  std::string message;
};

/// Returns a result that holds only `failure` and its `message`.
inline DecodeResult decode_failure(DecodeFailure failure, std::string message) {
  DecodeResult result;
  result.failure = failure;
  result.message = std::move(message);
  return result;
}

/// Decodes PNG bytes (signature already checked). Never throws for bad data; may throw
/// std::bad_alloc.
DecodeResult decode_png(std::span<const uint8_t> bytes);

/// Decodes JPEG bytes (signature already checked). Never throws for bad data; may throw
/// std::bad_alloc.
DecodeResult decode_jpeg(std::span<const uint8_t> bytes);

}  // namespace clipscope::image::detail
