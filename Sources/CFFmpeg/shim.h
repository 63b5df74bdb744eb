// The single C shim between MSKCine and FFmpeg 5.1.
// It includes the FFmpeg headers the reader and writer use, and exposes as functions
// what Swift cannot import: function-like macros (AVERROR(e), AVERROR_EOF, FFERRTAG codes)
// and AV_NOPTS_VALUE (a cast expression). No mutable globals live here (Swift 6 rejects them).
#ifndef MSKCINE_CFFMPEG_SHIM_H
#define MSKCINE_CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/// AVERROR(EAGAIN): the codec wants more input (decode) or output to be drained (encode).
static inline int mskc_error_eagain(void) { return AVERROR(EAGAIN); }
/// AVERROR_EOF: end of stream, or a fully drained codec.
static inline int mskc_error_eof(void) { return AVERROR_EOF; }
/// AVERROR_INVALIDDATA: corrupt or unrecognised data.
static inline int mskc_error_invaliddata(void) { return AVERROR_INVALIDDATA; }
/// AVERROR(ENOMEM).
static inline int mskc_error_enomem(void) { return AVERROR(ENOMEM); }
/// AVERROR_ENCODER_NOT_FOUND.
static inline int mskc_error_encoder_not_found(void) { return AVERROR_ENCODER_NOT_FOUND; }
/// AVERROR(EINVAL).
static inline int mskc_error_einval(void) { return AVERROR(EINVAL); }
/// AV_NOPTS_VALUE: "no timestamp".
static inline int64_t mskc_nopts_value(void) { return AV_NOPTS_VALUE; }
/// AV_TIME_BASE as an integer (microseconds per second).
static inline int mskc_time_base(void) { return AV_TIME_BASE; }

/// FFmpeg's message for an error code, written into buf (always NUL-terminated).
static inline void mskc_error_string(int errnum, char *buf, size_t size) {
    if (av_strerror(errnum, buf, size) < 0) {
        snprintf(buf, size, "unknown FFmpeg error %d", errnum);
    }
}

/// The stream's display-matrix rotation in degrees, normalised as the ffmpeg command line does
/// (clockwise, in [0, 360)); 0 when the stream has no display matrix.
static inline double mskc_stream_rotation(const AVStream *st) {
    const int32_t *matrix = (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix) return 0.0;
    double theta = -av_display_rotation_get(matrix);
    if (theta != theta) return 0.0; /* NaN: a degenerate matrix */
    theta = (double)llround(theta);
    theta -= 360.0 * floor(theta / 360.0 + 0.9 / 360.0);
    return theta;
}

#endif
