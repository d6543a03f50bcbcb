package dev.maskrt.image;

/**
 * A decoded image, interleaved height × width × channels (HWC, row-major), ready for pre-processing. Immutable in
 * contract: the arrays are shared, not copied, and must not be modified after construction. Safe to share between
 * threads.
 *
 * <ul>
 *   <li>8-bit images ({@link #bitDepth()} 8) hold their samples in {@link #bytes()} (unsigned, read them with
 *       {@code & 0xFF}); {@link #floats()} is null.
 *   <li>16-bit images ({@link #bitDepth()} 16) hold their samples as exact integer values 0..65535 in
 *       {@link #floats()}; 32-bit float images ({@link #bitDepth()} 32) hold them as they are. {@link #bytes()} is
 *       null. Like detectron2, maskrt does not rescale them to 0..255: they are resized with torch's bilinear
 *       interpolation and normalised with the model's mean and std as they are.
 * </ul>
 *
 * <p>Channels are in {@link #format()} order. {@link ImageDecoder} always yields 3 channels (grayscale is repeated,
 * alpha dropped); the pre-processing accepts only 3-channel images.
 */
public final class DecodedImage {
    private final int height, width, channels, bitDepth;
    private final ChannelFormat format;
    private final byte[] bytes;
    private final float[] floats;

    private DecodedImage(int height, int width, int channels, int bitDepth, ChannelFormat format, byte[] bytes,
            float[] floats) {
        if (height < 0) throw new IllegalArgumentException("height must be >= 0, got " + height);
        if (width < 0) throw new IllegalArgumentException("width must be >= 0, got " + width);
        if (channels < 1) throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        if (format == null) throw new IllegalArgumentException("format must not be null");
        long n = (long) height * width * channels;
        int length = bytes != null ? bytes.length : floats.length;
        if (length != n) {
            throw new IllegalArgumentException((bytes != null ? "bytes" : "floats") + ": length " + length
                    + " does not match height * width * channels = " + n);
        }
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.bitDepth = bitDepth;
        this.format = format;
        this.bytes = bytes;
        this.floats = floats;
    }

    /** An 8-bit image over {@code pixels}, HWC, length {@code height * width * channels}; the array is not copied. */
    public static DecodedImage ofBytes(int height, int width, int channels, ChannelFormat format, byte[] pixels) {
        if (pixels == null) throw new IllegalArgumentException("pixels must not be null");
        return new DecodedImage(height, width, channels, 8, format, pixels, null);
    }

    /**
     * A 16-bit ({@code bitDepth} 16, values 0..65535) or float ({@code bitDepth} 32) image over {@code pixels}, HWC,
     * length {@code height * width * channels}; the array is not copied.
     */
    public static DecodedImage ofFloats(int height, int width, int channels, int bitDepth, ChannelFormat format,
            float[] pixels) {
        if (pixels == null) throw new IllegalArgumentException("pixels must not be null");
        if (bitDepth != 16 && bitDepth != 32) {
            throw new IllegalArgumentException("bitDepth: expected 16 or 32 for float pixels, got " + bitDepth);
        }
        return new DecodedImage(height, width, channels, bitDepth, format, null, pixels);
    }

    public int height() { return height; }

    public int width() { return width; }

    /** Samples per pixel; 3 for every image {@link ImageDecoder} returns. */
    public int channels() { return channels; }

    /** Bits per sample of the source: 8, 16 or 32 (float). */
    public int bitDepth() { return bitDepth; }

    /** True when the samples are in {@link #bytes()}, false when they are in {@link #floats()}. */
    public boolean is8Bit() { return bytes != null; }

    /** Channel order of the samples. */
    public ChannelFormat format() { return format; }

    /** 8-bit samples (HWC), or null for 16-bit and float images. Shared, not copied: do not modify. */
    public byte[] bytes() { return bytes; }

    /** 16-bit or float samples (HWC), or null for 8-bit images. Shared, not copied: do not modify. */
    public float[] floats() { return floats; }

    @Override
    public String toString() {
        return "DecodedImage[" + height + "x" + width + "x" + channels + ", " + bitDepth + "-bit, " + format + "]";
    }
}
