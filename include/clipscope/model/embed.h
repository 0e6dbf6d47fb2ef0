// The library side of the `clipscope tokenize`, `preprocess` and `embed` commands: reading input
// lists and writing feature files. model/clip_encoder.h does the encoding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "clipscope/model/clip_encoder.h"

namespace clipscope::model {

/// Returns the images of a folder (its .png, .jpg and .jpeg files, sorted by name, not recursive)
/// or of a list file (one path per line, relative to the list's folder).
/// Throws Error(kNotFound) for a missing path or a listed file that does not exist, and
/// Error(kInvalidArgument) for an empty folder or list or for a blank line in a list (so that
/// line i of a list is always feature row i).
std::vector<std::filesystem::path> list_images(const std::filesystem::path& list_or_folder);

/// Returns the lines of a UTF-8 text file without line terminators ("\n" or "\r\n"); a final
/// empty line is not returned. Throws Error(kNotFound) if the file is missing and
/// Error(kInvalidArgument) if it has no lines.
std::vector<std::string> read_text_lines(const std::filesystem::path& file);

/// Inputs and options of `clipscope embed`.
struct EmbedRequest {
  std::optional<std::filesystem::path> images;  ///< Image folder or list file.
  std::optional<std::filesystem::path> texts;   ///< Caption file, one per line.
  std::filesystem::path out;                    ///< Output folder, created if missing.
  bool normalize = false;                       ///< L2-normalise features before writing.
};

/// Embeds the request's images and texts and writes, each file atomically, into request.out:
/// image_features.npy and images.txt, text_features.npy and texts.txt (float32 [N, D], row i for
/// line i), and embed.json (encoder identity, activation, preprocess, normalize, counts). Inputs,
/// tokenizer and output folder are checked and all features computed before the first file is
/// written, so a failure writes nothing (files of an earlier run stay). Throws
/// Error(kInvalidArgument) when neither input is given or request.out is not a folder,
/// Error(kUnsupported) when the model lacks the tower an input needs, and the encoder's errors.
void run_embed(CLIPEncoder& encoder, const EmbedRequest& request);

}  // namespace clipscope::model
