#include "clipscope/image/decode.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "clipscope/error.h"
#include "decoders.h"

namespace clipscope::image {

namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

bool is_png(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kPngSignature, 8) == 0;
}

bool is_jpeg(std::span<const uint8_t> bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff;
}

bool starts_with(std::span<const uint8_t> bytes, const char* prefix) {
  size_t n = std::strlen(prefix);
  return bytes.size() >= n && std::memcmp(bytes.data(), prefix, n) == 0;
}

// Names formats Pillow could open but clipscope does not decode, for a better message.
const char* other_format(std::span<const uint8_t> bytes) {
  if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return "GIF";
  if (starts_with(bytes, "BM")) return "BMP";
  if (starts_with(bytes, "II*") || starts_with(bytes, "MM")) return "TIFF";
  if (bytes.size() >= 12 && starts_with(bytes, "RIFF") &&
      std::memcmp(bytes.data() + 8, "WEBP", 4) == 0) {
    return "WebP";
  }
  if (bytes.size() >= 12 && std::memcmp(bytes.data() + 4, "ftyp", 4) == 0) return "HEIF/AVIF";
  return nullptr;
}

// Quotes a name for a one-line message.
std::string quoted(const std::string& name) {
  std::string out = "'";
  for (char c : name) {
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out + "'";
}

std::string first_bytes(std::span<const uint8_t> bytes) {
  std::string hex;
  std::string text;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    hex += fmt::format("{}{:02x}", i ? " " : "", bytes[i]);
    text += (bytes[i] >= 0x20 && bytes[i] < 0x7f) ? static_cast<char>(bytes[i]) : '.';
  }
  return fmt::format("{} \"{}\"", hex, text);
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

bool looks_like_png_or_jpeg(std::span<const uint8_t> bytes) {
  return is_png(bytes) || is_jpeg(bytes);
}

Image decode_image(std::span<const uint8_t> bytes, const std::string& name_for_errors) {
  const std::string name = quoted(name_for_errors);
  if (bytes.empty()) {
    fail(ErrorKind::kInvalidArgument,
         "image {} is empty (0 bytes); re-download it or export it again as PNG or JPEG", name);
  }

  const bool png = is_png(bytes);
  if (!png && !is_jpeg(bytes)) {
    if (const char* format = other_format(bytes)) {
      fail(ErrorKind::kUnsupported,
           "image {} is a {} file; clipscope reads PNG and JPEG only, so convert it to PNG", name,
           format);
    }
    fail(ErrorKind::kInvalidArgument,
         "image {} is not a PNG or JPEG file (it starts with {}); pass a PNG or JPEG image", name,
         first_bytes(bytes));
  }

  const char* format = png ? "PNG" : "JPEG";
  detail::DecodeResult result = png ? detail::decode_png(bytes) : detail::decode_jpeg(bytes);
  switch (result.failure) {
    case detail::DecodeFailure::kNone:
      return std::move(result.image);
    case detail::DecodeFailure::kTruncated:
      fail(ErrorKind::kInvalidArgument,
           "{} image {} is truncated: its data ends after {} bytes, before the image does; "
           "re-download "
           "it or export it again",
           format, name, bytes.size());
    case detail::DecodeFailure::kCorrupt:
      fail(ErrorKind::kInvalidArgument,
           "{} image {} is corrupt ({}: {}); re-download it or export it again", format, name,
           png ? "libpng" : "libjpeg", one_line(result.message));
    case detail::DecodeFailure::kTooLarge:
      fail(ErrorKind::kInvalidArgument,
           "{} image {} is {} pixels, more than the {} pixels Pillow accepts (decompression-bomb "
           "limit); downscale it before use",
           format, name, result.message, kMaxImagePixels);
    case detail::DecodeFailure::kUnsupported:
      fail(ErrorKind::kUnsupported,
           "{} image {} cannot be decoded as Pillow would: {}; save it again as 8-bit PNG", format,
           name, one_line(result.message));
  }
  fail(ErrorKind::kInvalidArgument, "{} image {} could not be decoded; export it again", format,
       name);
}

Image decode_image(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (!std::filesystem::exists(status)) {
    fail(ErrorKind::kNotFound, "image file {} does not exist; check the path", quoted(name));
  }
  if (std::filesystem::is_directory(status)) {
    fail(ErrorKind::kInvalidArgument, "{} is a folder, not an image file; pass a PNG or JPEG file",
         quoted(name));
  }

  std::unique_ptr<FILE, int (*)(FILE*)> stream(std::fopen(name.c_str(), "rb"), std::fclose);
  if (!stream) {
    fail(ErrorKind::kIo, "cannot open image file {}: {}; check its permissions", quoted(name),
         std::strerror(errno));
  }
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  while (true) {
    size_t count = std::fread(buffer, 1, sizeof buffer, stream.get());
    bytes.insert(bytes.end(), buffer, buffer + count);
    if (count < sizeof buffer) {
      if (std::ferror(stream.get())) {
        fail(ErrorKind::kIo, "cannot read image file {}: {}; check the disk and the file",
             quoted(name), std::strerror(errno));
      }
      break;
    }
  }
  if (bytes.empty()) {
    fail(ErrorKind::kInvalidArgument,
         "image file {} is empty (0 bytes); re-download it or export it again as PNG or JPEG",
         quoted(name));
  }
  return decode_image(std::span<const uint8_t>(bytes), name);
}

}  // namespace clipscope::image
