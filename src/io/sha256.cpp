#include "clipscope/io/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "clipscope/error.h"

namespace clipscope::io {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// Starts a SHA-256 digest. `input_name` names the input in error messages.
DigestContext start_sha256(const std::string& input_name) {
  DigestContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    fail(ErrorKind::kIo,
         "OpenSSL could not start a SHA-256 digest of {}; check the libssl3 installation",
         input_name);
  }
  return context;
}

void add_bytes(EVP_MD_CTX* context, const void* data, size_t size, const std::string& input_name) {
  if (EVP_DigestUpdate(context, data, size) != 1) {
    fail(ErrorKind::kIo, "OpenSSL failed while hashing {}; check the libssl3 installation",
         input_name);
  }
}

std::string finish_hex(EVP_MD_CTX* context, const std::string& input_name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context, digest, &length) != 1) {
    fail(ErrorKind::kIo,
         "OpenSSL failed to finish the SHA-256 digest of {}; check the libssl3 installation",
         input_name);
  }
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  const std::string input_name = fmt::format("{} bytes in memory", bytes.size());
  DigestContext context = start_sha256(input_name);
  add_bytes(context.get(), bytes.data(), bytes.size(), input_name);
  return finish_hex(context.get(), input_name);
}

std::string sha256_file(const std::filesystem::path& file) {
  const std::string input_name = fmt::format("'{}'", file.string());
  std::error_code error;
  if (!std::filesystem::exists(file, error)) {
    fail(ErrorKind::kNotFound, "cannot hash '{}': the file does not exist", file.string());
  }
  if (std::filesystem::is_directory(file, error)) {
    fail(ErrorKind::kInvalidArgument, "cannot hash '{}': it is a folder; pass a file",
         file.string());
  }
  std::ifstream stream(file, std::ios::binary);
  if (!stream) {
    fail(ErrorKind::kIo, "cannot open '{}' to hash it: {}; check that the file is readable",
         file.string(), std::strerror(errno));
  }
  DigestContext context = start_sha256(input_name);
  std::vector<char> buffer(1 << 20);
  while (stream) {
    stream.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    add_bytes(context.get(), buffer.data(), static_cast<size_t>(stream.gcount()), input_name);
  }
  if (stream.bad()) {
    fail(ErrorKind::kIo, "reading '{}' failed while hashing it; check the disk and the file",
         file.string());
  }
  return finish_hex(context.get(), input_name);
}

}  // namespace clipscope::io
