package dev.maskrt.model;

import dev.maskrt.image.ChannelFormat;

/**
 * The manifest's {@code input} section: how images are prepared for the backbone (detectron2 {@code INPUT.*} and
 * {@code MODEL.PIXEL_MEAN/STD}). Immutable; the arrays returned are copies.
 *
 * @param format channel order the network expects
 * @param pixelMean 3 values in {@code format} order
 * @param pixelStd 3 non-zero values in {@code format} order
 * @param minSizeTest ResizeShortestEdge short side in pixels; 0 means no resize
 * @param maxSizeTest ResizeShortestEdge limit of the long side in pixels, {@code >= 1}
 * @param sizeDivisibility the padded batch's height and width are multiples of this
 */
public record InputSettings(ChannelFormat format, double[] pixelMean, double[] pixelStd, int minSizeTest,
        int maxSizeTest, int sizeDivisibility) {
    public InputSettings {
        pixelMean = pixelMean.clone();
        pixelStd = pixelStd.clone();
    }

    @Override
    public double[] pixelMean() { return pixelMean.clone(); }

    @Override
    public double[] pixelStd() { return pixelStd.clone(); }
}
