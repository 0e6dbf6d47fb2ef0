#include "clipscope/image/resample.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "clipscope/error.h"
#include "pixel_ops.h"

// NOTE: Pillow computes its filter weights in double precision with plain multiplies and adds. A
// fused multiply-add would change some weights in the last bit and so some pixels by one level, so
// this file must not be contracted (x86-64 without -march flags has no FMA; the pragma covers
// builds that enable it). Pinned by the crop tests in tests/image/preprocess_test.cpp.
#if defined(__FMA__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace clipscope::image {

namespace {

// Fixed-point precision of Pillow's 8-bit resampling: 32 bits less 8 for the result and 2 for
// overshoot of filters with negative lobes.
constexpr int kPrecisionBits = 32 - 8 - 2;

// The filter kernels below repeat Pillow 9.4's Resample.c expressions term for term, since the
// order of floating-point operations decides the last bit of each weight.
double box_kernel(double x) {
  if (x > -0.5 && x <= 0.5) {
    return 1.0;
  }
  return 0.0;
}

double bilinear_kernel(double x) {
  if (x < 0.0) {
    x = -x;
  }
  if (x < 1.0) {
    return 1.0 - x;
  }
  return 0.0;
}

double hamming_kernel(double x) {
  if (x < 0.0) {
    x = -x;
  }
  if (x == 0.0) {
    return 1.0;
  }
  if (x >= 1.0) {
    return 0.0;
  }
  x = x * M_PI;
  return std::sin(x) / x * (0.54f + 0.46f * std::cos(x));
}

double bicubic_kernel(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) {
    x = -x;
  }
  if (x < 1.0) {
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  }
  if (x < 2.0) {
    return (((x - 5) * x + 8) * x - 4) * a;
  }
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) {
    return 1.0;
  }
  x = x * M_PI;
  return std::sin(x) / x;
}

double lanczos_kernel(double x) {
  if (-3.0 <= x && x < 3.0) {
    return sinc(x) * sinc(x / 3);
  }
  return 0.0;
}

struct Kernel {
  double (*function)(double);
  double support;
};

Kernel kernel_for(Filter filter) {
  switch (filter) {
    case Filter::kBox:
      return {box_kernel, 0.5};
    case Filter::kBilinear:
      return {bilinear_kernel, 1.0};
    case Filter::kHamming:
      return {hamming_kernel, 1.0};
    case Filter::kBicubic:
      return {bicubic_kernel, 2.0};
    case Filter::kLanczos:
      return {lanczos_kernel, 3.0};
    case Filter::kNearest:
      break;
  }
  return {bicubic_kernel, 2.0};
}

// Weights of one resampling pass: output sample i reads `count[i]` input samples from `first[i]`
// on, with weights weights[i * ksize + j].
struct PassWeights {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<double> weights;
  std::vector<int32_t> fixed;  // weights in kPrecisionBits fixed point
};

PassWeights compute_weights(int in_size, float in0, float in1, int out_size, const Kernel& kernel) {
  PassWeights pass;
  double scale = static_cast<double>(in1 - in0) / out_size;
  double filter_scale = scale < 1.0 ? 1.0 : scale;
  double support = kernel.support * filter_scale;
  pass.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  pass.first.resize(out_size);
  pass.count.resize(out_size);
  pass.weights.assign(static_cast<size_t>(out_size) * pass.ksize, 0.0);
  pass.fixed.assign(pass.weights.size(), 0);

  for (int xx = 0; xx < out_size; ++xx) {
    double center = in0 + (xx + 0.5) * scale;
    double total = 0.0;
    double inverse_scale = 1.0 / filter_scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) {
      xmin = 0;
    }
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) {
      xmax = in_size;
    }
    xmax -= xmin;
    // Pillow sizes its buffers by ksize; the window never exceeds it, but guard anyway.
    if (xmax > pass.ksize) {
      xmax = pass.ksize;
    }
    if (xmax < 0) {
      xmax = 0;
    }
    double* k = &pass.weights[static_cast<size_t>(xx) * pass.ksize];
    for (int x = 0; x < xmax; ++x) {
      double w = kernel.function((x + xmin - center + 0.5) * inverse_scale);
      k[x] = w;
      total += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (total != 0.0) {
        k[x] /= total;
      }
    }
    pass.first[xx] = xmin;
    pass.count[xx] = xmax;
  }

  for (size_t i = 0; i < pass.weights.size(); ++i) {
    double w = pass.weights[i];
    pass.fixed[i] = w < 0 ? static_cast<int32_t>(-0.5 + w * (1 << kPrecisionBits))
                          : static_cast<int32_t>(0.5 + w * (1 << kPrecisionBits));
  }
  return pass;
}

inline uint8_t clip8(int32_t accumulator) {
  int32_t v = accumulator >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Pillow's ROUND_UP for the 32-bit pass, kept inside int32 range.
inline int32_t round_to_int32(double value) {
  double rounded = value >= 0.0 ? value + 0.5 : value - 0.5;
  if (!(rounded < 2147483647.0)) {
    return std::numeric_limits<int32_t>::max();
  }
  if (!(rounded > -2147483648.0)) {
    return std::numeric_limits<int32_t>::min();
  }
  return static_cast<int32_t>(rounded);
}

// Horizontal 8-bit pass over input rows [row_begin, row_begin + out.height).
template <int C>
void horizontal_8bit(const Image& in, Image& out, int row_begin, const PassWeights& pass) {
  const size_t in_row = in.row_bytes();
  const size_t out_row = out.row_bytes();
  for (int yy = 0; yy < out.height; ++yy) {
    const uint8_t* src = in.pixels.data() + static_cast<size_t>(yy + row_begin) * in_row;
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(yy) * out_row;
    for (int xx = 0; xx < out.width; ++xx) {
      const int32_t* k = &pass.fixed[static_cast<size_t>(xx) * pass.ksize];
      const uint8_t* p = src + static_cast<size_t>(pass.first[xx]) * C;
      int32_t ss[C];
      for (int c = 0; c < C; ++c) {
        ss[c] = 1 << (kPrecisionBits - 1);
      }
      const int n = pass.count[xx];
      for (int x = 0; x < n; ++x, p += C) {
        for (int c = 0; c < C; ++c) {
          ss[c] += p[c] * k[x];
        }
      }
      for (int c = 0; c < C; ++c) {
        dst[xx * C + c] = clip8(ss[c]);
      }
    }
  }
}

// Rows are runs of independent bytes here, whatever the channel count.
void vertical_8bit(const Image& in, Image& out, const PassWeights& pass, int row_shift) {
  const size_t row = in.row_bytes();
  const size_t values = out.row_bytes();
  std::vector<int32_t> ss(values);
  for (int yy = 0; yy < out.height; ++yy) {
    const int32_t* k = &pass.fixed[static_cast<size_t>(yy) * pass.ksize];
    const int first = pass.first[yy] - row_shift;
    const int n = pass.count[yy];
    std::fill(ss.begin(), ss.end(), 1 << (kPrecisionBits - 1));
    for (int y = 0; y < n; ++y) {
      const uint8_t* src = in.pixels.data() + static_cast<size_t>(first + y) * row;
      const int32_t weight = k[y];
      for (size_t i = 0; i < values; ++i) {
        ss[i] += src[i] * weight;
      }
    }
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(yy) * out.row_bytes();
    for (size_t i = 0; i < values; ++i) {
      dst[i] = clip8(ss[i]);
    }
  }
}

inline int32_t load_i32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void horizontal_32bit(const Image& in, Image& out, int row_begin, const PassWeights& pass) {
  for (int yy = 0; yy < out.height; ++yy) {
    const uint8_t* src = in.pixels.data() + static_cast<size_t>(yy + row_begin) * in.row_bytes();
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(yy) * out.row_bytes();
    for (int xx = 0; xx < out.width; ++xx) {
      const double* k = &pass.weights[static_cast<size_t>(xx) * pass.ksize];
      double ss = 0.0;
      for (int x = 0; x < pass.count[xx]; ++x) {
        ss += load_i32(src + static_cast<size_t>(pass.first[xx] + x) * 4) * k[x];
      }
      int32_t v = round_to_int32(ss);
      std::memcpy(dst + static_cast<size_t>(xx) * 4, &v, sizeof v);
    }
  }
}

void vertical_32bit(const Image& in, Image& out, const PassWeights& pass, int row_shift) {
  for (int yy = 0; yy < out.height; ++yy) {
    const double* k = &pass.weights[static_cast<size_t>(yy) * pass.ksize];
    const int first = pass.first[yy] - row_shift;
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(yy) * out.row_bytes();
    for (int xx = 0; xx < out.width; ++xx) {
      double ss = 0.0;
      for (int y = 0; y < pass.count[yy]; ++y) {
        ss += load_i32(in.pixels.data() + static_cast<size_t>(first + y) * in.row_bytes() +
                       static_cast<size_t>(xx) * 4) *
              k[y];
      }
      int32_t v = round_to_int32(ss);
      std::memcpy(dst + static_cast<size_t>(xx) * 4, &v, sizeof v);
    }
  }
}

void horizontal_pass(const Image& in, Image& out, int row_begin, const PassWeights& pass) {
  if (in.mode == PixelMode::kI) {
    horizontal_32bit(in, out, row_begin, pass);
    return;
  }
  switch (bytes_per_pixel(in.mode)) {
    case 1:
      horizontal_8bit<1>(in, out, row_begin, pass);
      break;
    case 2:
      horizontal_8bit<2>(in, out, row_begin, pass);
      break;
    case 3:
      horizontal_8bit<3>(in, out, row_begin, pass);
      break;
    default:
      horizontal_8bit<4>(in, out, row_begin, pass);
      break;
  }
}

void vertical_pass(const Image& in, Image& out, const PassWeights& pass, int row_shift) {
  if (in.mode == PixelMode::kI) {
    vertical_32bit(in, out, pass, row_shift);
    return;
  }
  vertical_8bit(in, out, pass, row_shift);
}

// Pillow's ImagingResampleInner: horizontal pass over the rows the vertical pass needs, then the
// vertical pass.
Image resample_convolution(const Image& image, int width, int height, Filter filter) {
  const Kernel kernel = kernel_for(filter);
  const bool need_horizontal = width != image.width;
  const bool need_vertical = height != image.height;
  PassWeights horizontal =
      compute_weights(image.width, 0.0f, static_cast<float>(image.width), width, kernel);
  PassWeights vertical =
      compute_weights(image.height, 0.0f, static_cast<float>(image.height), height, kernel);

  const int row_first = vertical.first[0];
  const int row_last = vertical.first[height - 1] + vertical.count[height - 1];

  Image temp;
  const Image* source = &image;
  int row_shift = 0;
  if (need_horizontal) {
    temp = Image::blank(width, row_last - row_first, image.mode);
    horizontal_pass(image, temp, row_first, horizontal);
    source = &temp;
    row_shift = row_first;
  }
  if (need_vertical) {
    Image out = Image::blank(source->width, height, image.mode);
    vertical_pass(*source, out, vertical, row_shift);
    return out;
  }
  return temp;
}

inline int coord(double v) {
  return v < 0.0 ? -1 : static_cast<int>(v);
}

// Pillow's nearest-neighbour resize: ImagingScaleAffine, which steps the source position by
// repeated addition, or (for I;16) ImagingGenericTransform, which multiplies per pixel.
Image resample_nearest(const Image& image, int width, int height) {
  Image out = Image::blank(width, height, image.mode);
  out.palette = image.palette;
  out.transparency = image.transparency;
  const int step = bytes_per_pixel(image.mode);
  const double a0 = static_cast<double>(static_cast<float>(image.width) - 0.0f) / width;
  const double a4 = static_cast<double>(static_cast<float>(image.height) - 0.0f) / height;

  if (image.mode == PixelMode::kI16) {
    for (int y = 0; y < height; ++y) {
      const int yi = coord(a4 * (y + 0.5));
      for (int x = 0; x < width; ++x) {
        const int xi = coord(a0 * (x + 0.5));
        if (xi >= 0 && xi < image.width && yi >= 0 && yi < image.height) {
          std::memcpy(out.at(x, y), image.at(xi, yi), step);
        }
      }
    }
    return out;
  }

  std::vector<int> source_x(width, 0);
  int xmin = width;
  int xmax = 0;
  double xo = 0.0 + a0 * 0.5;
  for (int x = 0; x < width; ++x) {
    const int xi = coord(xo);
    if (xi >= 0 && xi < image.width) {
      xmax = x + 1;
      if (x < xmin) {
        xmin = x;
      }
      source_x[x] = xi;
    }
    xo += a0;
  }
  double yo = 0.0 + a4 * 0.5;
  for (int y = 0; y < height; ++y) {
    const int yi = coord(yo);
    if (yi >= 0 && yi < image.height) {
      for (int x = xmin; x < xmax; ++x) {
        std::memcpy(out.at(x, y), image.at(source_x[x], yi), step);
      }
    }
    yo += a4;
  }
  return out;
}

}  // namespace

Filter parse_filter(std::string_view name) {
  if (name == "nearest") return Filter::kNearest;
  if (name == "box") return Filter::kBox;
  if (name == "bilinear") return Filter::kBilinear;
  if (name == "hamming") return Filter::kHamming;
  if (name == "bicubic") return Filter::kBicubic;
  if (name == "lanczos") return Filter::kLanczos;
  fail(ErrorKind::kInvalidArgument,
       "unknown resampling filter '{}'; use one of nearest, box, bilinear, hamming, bicubic, "
       "lanczos",
       name);
}

const char* filter_name(Filter filter) {
  switch (filter) {
    case Filter::kNearest:
      return "nearest";
    case Filter::kBox:
      return "box";
    case Filter::kBilinear:
      return "bilinear";
    case Filter::kHamming:
      return "hamming";
    case Filter::kBicubic:
      return "bicubic";
    case Filter::kLanczos:
      return "lanczos";
  }
  return "?";
}

Image resize(const Image& image, int width, int height, Filter filter) {
  check_image(image, "the image to resize");
  if (width < 1 || height < 1) {
    fail(ErrorKind::kInvalidArgument,
         "cannot resize a {}x{} image to {}x{}; both sizes must be at least 1", image.width,
         image.height, width, height);
  }
  if (image.width == width && image.height == height) {
    return image;
  }
  if (image.width < 1 || image.height < 1) {
    fail(ErrorKind::kInvalidArgument,
         "cannot resize an empty {}x{} image; decode or create a non-empty one", image.width,
         image.height);
  }

  if (image.mode == PixelMode::kP || image.mode == PixelMode::k1) {
    filter = Filter::kNearest;
  }
  if (filter == Filter::kNearest) {
    return resample_nearest(image, width, height);
  }
  if (image.mode == PixelMode::kI16) {
    fail(ErrorKind::kUnsupported,
         "Pillow cannot resize an I;16 image with the {} filter; convert it to mode I first or use "
         "nearest",
         filter_name(filter));
  }

  Image out;
  if (image.mode == PixelMode::kLA || image.mode == PixelMode::kRGBA) {
    Image premultiplied = image;
    detail::premultiply_alpha(premultiplied);
    out = resample_convolution(premultiplied, width, height, filter);
    detail::unpremultiply_alpha(out);
  } else {
    out = resample_convolution(image, width, height, filter);
  }
  out.transparency = image.transparency;
  return out;
}

}  // namespace clipscope::image
