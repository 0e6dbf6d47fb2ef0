// SHA-256 digests as lowercase hex, computed with OpenSSL's EVP digest API, of bytes in memory
// (manifests, vocabularies) and of whole files (model weights).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace clipscope::io {

/// Returns the lowercase hex SHA-256 (64 characters) of `bytes`. Throws Error(kIo) if OpenSSL
/// reports a failure.
std::string sha256_hex(std::string_view bytes);

/// Returns the lowercase hex SHA-256 of a file's bytes, read in 1 MiB chunks. Throws
/// Error(kNotFound) if the file does not exist and Error(kIo) naming the file if it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace clipscope::io
