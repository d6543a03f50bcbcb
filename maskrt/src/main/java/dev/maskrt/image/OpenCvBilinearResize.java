package dev.maskrt.image;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * OpenCV's {@code cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)} on 8-bit images: what mmcv's
 * {@code imresize} (backend {@code cv2}, interpolation {@code bilinear}) gives mmdetection's models. OpenCV's 8-bit
 * bilinear resize is fixed-point, so the same OpenCV arithmetic gives the same bytes. Native memory is released
 * before each call returns. Thread-safe (stateless).
 */
final class OpenCvBilinearResize {
    private OpenCvBilinearResize() {}

    /**
     * @param src {@code height × width × channels} bytes, row-major, channels interleaved
     * @return {@code newHeight × newWidth × channels} bytes
     */
    static byte[] resize(byte[] src, int height, int width, int channels, int newHeight, int newWidth) {
        if (src.length != (long) height * width * channels) {
            throw new IllegalArgumentException("src has " + src.length + " bytes, expected " + height + "x" + width
                    + "x" + channels);
        }
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(newHeight, newWidth), channels)];
        try (PointerScope scope = new PointerScope()) {
            Mat in = new Mat(height, width, CV_8UC(channels), new BytePointer(src));
            Mat dst = new Mat(newHeight, newWidth, CV_8UC(channels));
            opencv_imgproc.resize(in, dst, new Size(newWidth, newHeight), 0, 0, INTER_LINEAR);
            if (!dst.isContinuous()) throw new IllegalStateException("OpenCV returned a non-contiguous image");
            dst.data().get(out);
        }
        return out;
    }
}
