// Contact sheets: a grid of downscaled images for looking over a scene set at a glance.
// The set layout is described in scenes/manifest.h.
#pragma once

#include <filesystem>
#include <vector>

#include "clipscope/image/image.h"

namespace clipscope::scenes {

/// Returns an RGB grid of `images` (PNG or JPEG files) in `columns` columns, each scaled to fit a
/// `tile` x `tile` pixel cell on a white background with a 4-pixel gap. Throws
/// Error(kInvalidArgument) before decoding anything for an empty list, columns < 1, a tile
/// outside 8..2048, or a sheet of more than 89,478,485 pixels (Pillow's decompression-bomb warning
/// limit), and the errors of image/decode.h for unreadable files.
image::Image make_contact_sheet(const std::vector<std::filesystem::path>& images, int columns, int tile);

/// Writes a contact sheet PNG of the first `limit` images of a set folder: those of its
/// manifest.jsonl in order, or else its top-level PNG/JPEG files sorted by name. Throws
/// Error(kNotFound) if the folder has no images.
void write_contact_sheet(const std::filesystem::path& folder, const std::filesystem::path& output,
                         int columns, int tile, int limit);

}  // namespace clipscope::scenes
