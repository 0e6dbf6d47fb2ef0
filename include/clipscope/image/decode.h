// Decoding PNG and JPEG files or bytes into an Image with the pixels and mode Pillow 9.4 gives
// (libpng for PNG, libjpeg-turbo for JPEG). Writing PNG is in image/png_writer.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "clipscope/image/image.h"

namespace clipscope::image {

/// Pillow's decompression-bomb limit: images of more pixels are refused (2 * MAX_IMAGE_PIXELS).
inline constexpr int64_t kMaxImagePixels = 178956970;

/// Decodes a PNG or JPEG file, chosen by content (not by extension), into Pillow's mode:
/// - PNG: 1-bit gray -> 1; 2/4/8-bit gray -> L; 16-bit gray -> I; RGB and 16-bit RGB -> RGB
///   (16-bit reduced to the high byte); palette (any depth) -> P with the tRNS alphas in the
///   palette; 8-bit gray+alpha -> LA; 16-bit gray+alpha -> RGBA; RGBA and 16-bit RGBA -> RGBA.
///   Interlaced files are deinterlaced; gamma, ICC and tRNS colour keys do not change pixels.
/// - JPEG: 1 component -> L, 3 -> RGB (YCbCr converted by libjpeg's ISLOW IDCT and fancy
/// upsampling),
///   4 -> CMYK inverted as Adobe writes it (YCCK converted to CMYK first); progressive files too.
/// EXIF orientation is ignored, as Pillow's Image.open ignores it.
/// Thread-safe: each call owns its decoder state.
/// Throws clipscope::Error with a one-line message naming the file and the fix: kNotFound for a
/// missing file, kIo for an unreadable one, kInvalidArgument for an empty, truncated or corrupt
/// file, one that is neither PNG nor JPEG, or one over kMaxImagePixels pixels (refused before any
/// pixel memory is allocated), and kUnsupported for GIF, BMP, TIFF, WebP or HEIF files and for
/// JPEGs Pillow cannot open either (12-bit, 2-component).
Image decode_image(const std::filesystem::path& file);

/// Decodes PNG or JPEG bytes held in memory, as decode_image(file). `name_for_errors` stands for
/// the file in error messages (e.g. the COCO file name).
Image decode_image(std::span<const uint8_t> bytes, const std::string& name_for_errors);

/// Returns true if `bytes` start with the PNG or JPEG signature.
bool looks_like_png_or_jpeg(std::span<const uint8_t> bytes);

}  // namespace clipscope::image
