// SHA-256 (FIPS 180-4) of a file, private to the model area, for the weights_sha256 identity field.
#pragma once

#include <filesystem>
#include <string>

namespace clipscope::model::detail {

/// Returns the lowercase hex SHA-256 of a file's bytes. Throws Error(kIo) naming the file if it
/// cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace clipscope::model::detail
