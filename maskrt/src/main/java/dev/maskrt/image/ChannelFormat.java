package dev.maskrt.image;

import java.util.Locale;

/**
 * The channel order a model was trained with: detectron2's {@code INPUT.FORMAT}. Pixel means and standard deviations
 * are given in this order too.
 */
public enum ChannelFormat {
    /** Blue, green, red: detectron2's default (OpenCV's native order). */
    BGR,
    /** Red, green, blue. */
    RGB;

    /**
     * Parses a detectron2 {@code INPUT.FORMAT} value ({@code "BGR"} or {@code "RGB"}, case-insensitive).
     *
     * @throws IllegalArgumentException naming {@code format} for any other value (detectron2's "L" and "YUV-BT.601"
     *     are not supported)
     */
    public static ChannelFormat parse(String format) {
        if (format == null) throw new IllegalArgumentException("format must not be null");
        switch (format.toUpperCase(Locale.ROOT)) {
            case "BGR": return BGR;
            case "RGB": return RGB;
            default: throw new IllegalArgumentException("format: expected \"BGR\" or \"RGB\", got \"" + format + "\"");
        }
    }
}
