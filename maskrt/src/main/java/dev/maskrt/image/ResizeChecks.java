package dev.maskrt.image;

/** The argument rules every HWC resize shares; each message names the argument. */
final class ResizeChecks {
    private ResizeChecks() {}

    static void checkOutputSize(int newHeight, int newWidth) {
        if (newHeight < 0) throw new IllegalArgumentException("newHeight must be >= 0, got " + newHeight);
        if (newWidth < 0) throw new IllegalArgumentException("newWidth must be >= 0, got " + newWidth);
    }

    /**
     * Checks a resize of an HWC {@code src} into {@code dst}. Returns false when the output is empty (nothing to
     * do); refuses an empty source with a non-empty output.
     */
    static boolean check(Object src, int srcLength, Object dst, int dstLength, int height, int width, int channels,
            int newHeight, int newWidth) {
        if (src == null) throw new IllegalArgumentException("src must not be null");
        if (dst == null) throw new IllegalArgumentException("dst must not be null");
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("height and width must be >= 0, got " + height + "x" + width);
        }
        if (channels < 1) throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        checkOutputSize(newHeight, newWidth);
        if (srcLength != (long) height * width * channels) {
            throw new IllegalArgumentException("src: length " + srcLength + " does not match height * width * channels = "
                    + (long) height * width * channels);
        }
        if (dstLength != (long) newHeight * newWidth * channels) {
            throw new IllegalArgumentException("dst: length " + dstLength
                    + " does not match newHeight * newWidth * channels = " + (long) newHeight * newWidth * channels);
        }
        if (newHeight == 0 || newWidth == 0) return false;
        if (height == 0 || width == 0) {
            throw new IllegalArgumentException("src: cannot resize an empty " + height + "x" + width + " image to "
                    + newHeight + "x" + newWidth);
        }
        return true;
    }
}
