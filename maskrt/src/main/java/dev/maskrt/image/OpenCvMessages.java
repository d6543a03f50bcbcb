package dev.maskrt.image;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns OpenCV's exception texts ({@code OpenCV(4.x) /build/path/loadsave.cpp:79: error: (-215:Assertion failed)
 * pixels <= CV_IO_MAX_IMAGE_PIXELS in function 'validateInputImageSize'}) into one plain sentence without the build
 * machine's paths. Stateless.
 */
final class OpenCvMessages {
    /** OpenCV's default pixel limit for decoding ({@code OPENCV_IO_MAX_IMAGE_PIXELS}). */
    static final long DEFAULT_MAX_PIXELS = 1L << 30;

    private static final Pattern ERROR = Pattern.compile("error: \\((-?\\d+):([^)]*)\\)\\s*(.*?)(?: in function '([^']*)')?\\s*$",
            Pattern.DOTALL);

    private OpenCvMessages() {}

    /** The sentence for an exception thrown by {@code imdecode}, without the source name. */
    static String decodeFailure(String opencvMessage) {
        String m = opencvMessage == null ? "" : opencvMessage;
        if (m.contains("CV_IO_MAX_IMAGE_PIXELS")) {
            return "image has more pixels than OpenCV will decode (limit " + limit() + " pixels, set by the "
                    + "environment variable OPENCV_IO_MAX_IMAGE_PIXELS); refused as a possible decompression bomb";
        }
        if (m.contains("CV_IO_MAX_IMAGE_WIDTH") || m.contains("CV_IO_MAX_IMAGE_HEIGHT")) {
            return "image is " + (m.contains("WIDTH") ? "wider" : "taller") + " than OpenCV will decode (limit "
                    + (1 << 20) + " pixels); refused as a possible decompression bomb";
        }
        return "cannot decode image: " + plain(m);
    }

    /** {@code "Assertion failed: CONDITION (in FUNCTION)"}, or the message on one line without OpenCV's prefix. */
    static String plain(String opencvMessage) {
        String m = opencvMessage == null ? "" : opencvMessage.replaceAll("\\s+", " ").trim();
        Matcher e = ERROR.matcher(m);
        if (e.find()) {
            String condition = e.group(3).trim();
            return "OpenCV: " + e.group(2).trim() + (condition.isEmpty() ? "" : ": " + condition)
                    + (e.group(4) != null ? " (in " + e.group(4) + ")" : "");
        }
        return m.replaceFirst("^OpenCV\\([^)]*\\) \\S+: ", "");
    }

    private static String limit() {
        String env = System.getenv("OPENCV_IO_MAX_IMAGE_PIXELS");
        return env != null && env.matches("\\d+") ? env : Long.toString(DEFAULT_MAX_PIXELS);
    }
}
