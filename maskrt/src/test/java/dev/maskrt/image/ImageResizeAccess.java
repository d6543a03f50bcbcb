package dev.maskrt.image;

/** Test access to the package's resize kernels from other packages' tests. */
public final class ImageResizeAccess {
    private ImageResizeAccess() {}

    /** {@link OpenCvBilinearResize#resize}. */
    public static byte[] openCvBilinear(byte[] src, int height, int width, int channels, int newHeight, int newWidth) {
        return OpenCvBilinearResize.resize(src, height, width, channels, newHeight, newWidth);
    }
}
