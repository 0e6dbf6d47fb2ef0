#include "clipscope/io/npy.h"

#include <cstring>
#include <regex>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLength = 6;

template <typename T>
constexpr const char* dtype_of() {
  if constexpr (std::is_same_v<T, float>) {
    return "<f4";
  } else if constexpr (std::is_same_v<T, double>) {
    return "<f8";
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return "<i8";
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return "<i4";
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    return "|u1";
  } else {
    static_assert(sizeof(T) == 0, "unsupported npy element type");
  }
}

// Parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (93, 64), }
void parse_header(const std::string& header, const std::filesystem::path& path, NpyArray& array) {
  static const std::regex descr_pattern(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex order_pattern(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_pattern(R"('shape'\s*:\s*\(([^)]*)\))");
  std::smatch match;
  if (!std::regex_search(header, match, descr_pattern)) {
    fail(ErrorKind::kInvalidArgument, "invalid .npy header in '{}': no 'descr' entry", path.string());
  }
  array.dtype = match[1].str();
  bool single_byte = array.dtype.size() == 3 && array.dtype[2] == '1';
  if (!single_byte && !array.dtype.empty() && array.dtype[0] == '>') {
    fail(ErrorKind::kUnsupported,
         "'{}' holds big-endian data ({}); save it little-endian with numpy's astype('<...')",
         path.string(), array.dtype);
  }
  if (!std::regex_search(header, match, order_pattern)) {
    fail(ErrorKind::kInvalidArgument, "invalid .npy header in '{}': no 'fortran_order' entry",
         path.string());
  }
  if (match[1].str() == "True") {
    fail(ErrorKind::kUnsupported,
         "'{}' is in Fortran order; save it with numpy.ascontiguousarray first", path.string());
  }
  if (!std::regex_search(header, match, shape_pattern)) {
    fail(ErrorKind::kInvalidArgument, "invalid .npy header in '{}': no 'shape' entry", path.string());
  }
  std::string dims = match[1].str();
  size_t position = 0;
  while (position < dims.size()) {
    size_t comma = dims.find(',', position);
    std::string item = dims.substr(position, comma == std::string::npos ? std::string::npos
                                                                          : comma - position);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \tL") + 1);
    if (!item.empty()) {
      char* end = nullptr;
      long long value = std::strtoll(item.c_str(), &end, 10);
      if (*end != '\0' || value < 0) {
        fail(ErrorKind::kInvalidArgument, "invalid .npy shape '({})' in '{}'", dims, path.string());
      }
      array.shape.push_back(value);
    }
    if (comma == std::string::npos) break;
    position = comma + 1;
  }
}

}  // namespace

int64_t NpyArray::size() const {
  int64_t count = 1;
  for (int64_t dimension : shape) count *= dimension;
  return count;
}

template <typename T>
std::vector<T> NpyArray::values() const {
  if (dtype != dtype_of<T>()) {
    fail(ErrorKind::kInvalidArgument, "npy array has dtype '{}', expected '{}'", dtype,
         dtype_of<T>());
  }
  std::vector<T> result(static_cast<size_t>(size()));
  std::memcpy(result.data(), data.data(), result.size() * sizeof(T));
  return result;
}

template std::vector<float> NpyArray::values<float>() const;
template std::vector<double> NpyArray::values<double>() const;
template std::vector<int64_t> NpyArray::values<int64_t>() const;
template std::vector<int32_t> NpyArray::values<int32_t>() const;
template std::vector<uint8_t> NpyArray::values<uint8_t>() const;

int64_t npy_item_size(const std::string& dtype) {
  if (dtype.size() >= 3) {
    char kind = dtype[1];
    int64_t bytes = std::strtoll(dtype.c_str() + 2, nullptr, 10);
    if ((kind == 'f' || kind == 'i' || kind == 'u' || kind == 'b') && bytes > 0 && bytes <= 8) {
      return bytes;
    }
  }
  fail(ErrorKind::kUnsupported, "unsupported npy dtype '{}': use float, int, uint or bool arrays",
       dtype);
}

NpyArray read_npy(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < kMagicLength + 4 || std::memcmp(bytes.data(), kMagic, kMagicLength) != 0) {
    fail(ErrorKind::kInvalidArgument, "'{}' is not a .npy file (bad magic string)", path.string());
  }
  auto major = static_cast<uint8_t>(bytes[6]);
  size_t header_length = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_length = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      fail(ErrorKind::kInvalidArgument, "'{}' is truncated inside the .npy header", path.string());
    }
    uint32_t length = 0;
    std::memcpy(&length, bytes.data() + 8, 4);
    header_length = length;
    header_start = 12;
  } else {
    fail(ErrorKind::kUnsupported, "'{}' uses .npy format version {}; versions 1-3 are supported",
         path.string(), major);
  }
  if (header_start + header_length > bytes.size()) {
    fail(ErrorKind::kInvalidArgument, "'{}' is truncated inside the .npy header", path.string());
  }

  NpyArray array;
  parse_header(bytes.substr(header_start, header_length), path, array);
  int64_t expected = array.size() * npy_item_size(array.dtype);
  size_t data_start = header_start + header_length;
  if (static_cast<int64_t>(bytes.size() - data_start) != expected) {
    fail(ErrorKind::kInvalidArgument, "'{}' holds {} data bytes but its header needs {}",
         path.string(), bytes.size() - data_start, expected);
  }
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_start), bytes.end());
  return array;
}

void write_npy(const std::filesystem::path& path, const std::string& dtype,
               std::span<const int64_t> shape, std::span<const uint8_t> bytes) {
  std::string dims;
  for (int64_t dimension : shape) dims += fmt::format("{}, ", dimension);
  if (shape.size() > 1) dims.resize(dims.size() - 1);
  if (shape.size() > 1) dims.pop_back();
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", dtype, dims);
  // Pad with spaces so that magic + version + length + header + newline is a multiple of 64.
  size_t total = kMagicLength + 2 + 2 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  AtomicFile file(path);
  auto& out = file.stream();
  out.write(kMagic, kMagicLength);
  out.put('\x01');
  out.put('\x00');
  auto length = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(length & 0xff));
  out.put(static_cast<char>(length >> 8));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  file.commit();
}

namespace {

template <typename T>
void write_typed(const std::filesystem::path& path, std::span<const T> values,
                 std::span<const int64_t> shape) {
  int64_t count = 1;
  for (int64_t dimension : shape) count *= dimension;
  if (count != static_cast<int64_t>(values.size())) {
    fail(ErrorKind::kInvalidArgument, "cannot write '{}': shape holds {} elements but {} given",
         path.string(), count, values.size());
  }
  write_npy(path, dtype_of<T>(), shape,
            std::span(reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(T)));
}

}  // namespace

void write_npy(const std::filesystem::path& path, std::span<const float> values,
               std::span<const int64_t> shape) {
  write_typed(path, values, shape);
}

void write_npy(const std::filesystem::path& path, std::span<const int64_t> values,
               std::span<const int64_t> shape) {
  write_typed(path, values, shape);
}

void write_npy(const std::filesystem::path& path, std::span<const uint8_t> values,
               std::span<const int64_t> shape) {
  write_typed(path, values, shape);
}

}  // namespace clipscope::io
