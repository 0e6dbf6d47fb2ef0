// JPEG decoding with libjpeg-turbo, set up as Pillow 9.4's JpegDecode.c sets it up: libjpeg's
// default ISLOW IDCT and fancy upsampling, output colour space chosen by component count, and
// Adobe's inverted CMYK convention for 4-component files.
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstring>
#include <vector>

#include "clipscope/image/decode.h"
#include "decoders.h"

namespace clipscope::image::detail {

namespace {

struct JpegErrors {
  jpeg_error_mgr manager;  // first member: libjpeg passes &manager as cinfo->err
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  bool unsupported = false;
  bool premature_end = false;  // the data ran out before every scanline was decoded
};

// Errors jump back to decode_jpeg's setjmp with the formatted message.
[[noreturn]] void on_jpeg_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  errors->unsupported = cinfo->err->msg_code == JERR_BAD_PRECISION;
  std::longjmp(errors->jump, 1);
}

// Warnings ("Corrupt JPEG data: ...") are ignored, as Pillow ignores them, except running out of
// data before the last scanline: Pillow then raises "image file is truncated".
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) {
    return;
  }
  cinfo->err->num_warnings++;
  if (cinfo->err->msg_code == JWRN_JPEG_EOF && cinfo->is_decompressor) {
    auto* decompress = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (decompress->output_height == 0 || decompress->output_scanline < decompress->output_height) {
      reinterpret_cast<JpegErrors*>(cinfo->err)->premature_end = true;
    }
  }
}

void ignore_output(j_common_ptr) {}

// Classifies a libjpeg error or a premature end of data.
DecodeFailure libjpeg_failure(const JpegErrors& errors) {
  if (errors.unsupported) return DecodeFailure::kUnsupported;
  if (errors.premature_end) return DecodeFailure::kTruncated;
  return DecodeFailure::kCorrupt;
}

struct JpegOutput {
  Image image;
  std::vector<JSAMPROW> rows;
  DecodeFailure failure = DecodeFailure::kNone;
};

struct DecompressGuard {
  jpeg_decompress_struct* cinfo;
  ~DecompressGuard() { jpeg_destroy_decompress(cinfo); }
};

// Returns false on a libjpeg error (the message is in errors.message).
bool run_libjpeg(std::span<const uint8_t> bytes, JpegErrors& errors, jpeg_decompress_struct& cinfo,
                 JpegOutput& output) {
  cinfo.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = on_jpeg_error;
  errors.manager.emit_message = on_jpeg_message;
  errors.manager.output_message = ignore_output;
  if (setjmp(errors.jump)) {
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);

  if (static_cast<uint64_t>(cinfo.image_width) * cinfo.image_height >
      static_cast<uint64_t>(kMaxImagePixels)) {
    output.failure = DecodeFailure::kTooLarge;
    std::snprintf(errors.message, sizeof errors.message, "%ux%u", cinfo.image_width,
                  cinfo.image_height);
    return true;
  }

  // Pillow's JpegImagePlugin: the mode follows the component count alone.
  PixelMode mode = PixelMode::kRGB;
  switch (cinfo.num_components) {
    case 1:
      mode = PixelMode::kL;
      cinfo.out_color_space = JCS_GRAYSCALE;
      break;
    case 3:
      mode = PixelMode::kRGB;
      cinfo.out_color_space = JCS_RGB;
      break;
    case 4:
      mode = PixelMode::kCMYK;
      cinfo.out_color_space = JCS_CMYK;
      break;
    default:
      output.failure = DecodeFailure::kUnsupported;
      std::snprintf(errors.message, sizeof errors.message,
                    "it has %d colour components (Pillow handles 1, 3 or 4)", cinfo.num_components);
      return true;
  }

  jpeg_start_decompress(&cinfo);
  const int channels = bytes_per_pixel(mode);
  if (cinfo.output_components != channels || cinfo.output_width != cinfo.image_width ||
      cinfo.output_height != cinfo.image_height) {
    std::snprintf(errors.message, sizeof errors.message, "libjpeg produced %d components at %ux%u",
                  cinfo.output_components, cinfo.output_width, cinfo.output_height);
    return false;
  }
  output.image.width = static_cast<int>(cinfo.output_width);
  output.image.height = static_cast<int>(cinfo.output_height);
  output.image.mode = mode;
  const size_t row_bytes = static_cast<size_t>(cinfo.output_width) * channels;
  output.image.pixels.resize(row_bytes * cinfo.output_height);
  output.rows.resize(cinfo.output_height);
  for (JDIMENSION y = 0; y < cinfo.output_height; ++y) {
    output.rows[y] = output.image.pixels.data() + y * row_bytes;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JDIMENSION done = jpeg_read_scanlines(&cinfo, output.rows.data() + cinfo.output_scanline,
                                          cinfo.output_height - cinfo.output_scanline);
    if (done == 0) {
      std::snprintf(errors.message, sizeof errors.message, "libjpeg stopped at scanline %u of %u",
                    cinfo.output_scanline, cinfo.output_height);
      return false;
    }
  }
  return true;
}

}  // namespace

DecodeResult decode_jpeg(std::span<const uint8_t> bytes) {
  JpegErrors errors;
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  DecompressGuard guard{&cinfo};
  JpegOutput output;

  const bool ok = run_libjpeg(bytes, errors, cinfo, output);
  if (!ok || errors.premature_end) {
    return decode_failure(libjpeg_failure(errors), errors.message);
  }
  if (output.failure != DecodeFailure::kNone) {
    return decode_failure(output.failure, errors.message);
  }

  DecodeResult result;
  result.image = std::move(output.image);
  if (result.image.mode == PixelMode::kCMYK) {
    // NOTE: Pillow decodes every 4-component JPEG with rawmode "CMYK;I", assuming Adobe's inverted
    // CMYK whether or not an Adobe marker is present.
    for (uint8_t& v : result.image.pixels) {
      v = static_cast<uint8_t>(255 - v);
    }
  }
  return result;
}

}  // namespace clipscope::image::detail
