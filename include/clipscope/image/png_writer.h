// PNG encoding of an Image with libpng. The bytes depend only on the pixels (no time or text
// chunks), so the same image always gives the same file. Decoding lives in image/decode.h.
#pragma once

#include <filesystem>
#include <string>

#include "clipscope/image/image.h"

namespace clipscope::image {

/// Encodes `image` (mode L, LA, RGB or RGBA, 8 bits per channel) as PNG bytes with zlib level 6
/// and no ancillary chunks. Throws Error(kUnsupported) for other modes and Error(kInvalidArgument)
/// for an empty image or a pixel buffer whose size does not match width * height * channels.
std::string encode_png(const Image& image);

/// Writes `image` to `path` as PNG through io::AtomicFile, so the file appears only when complete.
/// Throws as encode_png, and Error(kIo) if the file cannot be written.
void write_png(const std::filesystem::path& path, const Image& image);

}  // namespace clipscope::image
