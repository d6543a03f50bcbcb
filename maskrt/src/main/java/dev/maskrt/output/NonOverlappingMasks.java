package dev.maskrt.output;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Makes the masks of one image disjoint, as Kaggle segmentation competitions require: instances are visited in
 * descending score order (ties keep their input order), every pixel already taken by a kept higher-scoring
 * instance is removed from a lower-scoring one, and an instance left with fewer than {@code max(1, minPixels)}
 * pixels is dropped. A dropped instance claims no pixels.
 *
 * <p>Works box-locally with one occupancy bitmap per image size ({@code height * width} bytes, reused across
 * images). Not thread-safe: use one instance per thread.
 */
public final class NonOverlappingMasks {
    private byte[] occupied = new byte[0];

    /** A resolver with an empty occupancy bitmap (grown on first use). */
    public NonOverlappingMasks() {}

    /**
     * Removes overlaps: each pixel stays with the highest-scoring kept instance that claims it (see above).
     *
     * @param instances the image's instances; every mask over an {@code imageHeight x imageWidth} image
     * @param imageHeight rows of the image
     * @param imageWidth columns of the image
     * @param minPixels instances with fewer remaining pixels are dropped; values below 1 act as 1
     * @return the kept instances in descending score order, their masks trimmed (box and rectangle unchanged)
     */
    public List<Instance> resolve(List<Instance> instances, int imageHeight, int imageWidth, int minPixels) {
        if (instances == null) throw new IllegalArgumentException("instances must not be null");
        long pixels = (long) imageHeight * imageWidth;
        if (imageHeight < 0 || imageWidth < 0 || pixels > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image size " + imageHeight + "x" + imageWidth + " is not usable");
        }
        List<Instance> sorted = new ArrayList<>(instances);
        sorted.sort(Comparator.comparingDouble((Instance i) -> i.score()).reversed()); // stable: ties keep order
        if (occupied.length < pixels) occupied = new byte[(int) pixels];
        int threshold = Math.max(1, minPixels);
        List<Instance> kept = new ArrayList<>(sorted.size());
        try {
            for (int k = 0; k < sorted.size(); k++) {
                Instance inst = sorted.get(k);
                CompactMask m = inst.mask();
                if (m.imageHeight() != imageHeight || m.imageWidth() != imageWidth) {
                    throw new IllegalArgumentException("instances: a mask is over a " + m.imageWidth() + "x"
                            + m.imageHeight() + " image, not " + imageWidth + "x" + imageHeight);
                }
                if (freePixels(m) < threshold) continue;
                kept.add(inst.withMask(claim(m)));
            }
        } finally {
            for (Instance inst : kept) release(inst.mask());
        }
        return kept;
    }

    private long freePixels(CompactMask m) {
        long free = 0;
        int w = m.width(), iw = m.imageWidth();
        for (int r = 0; r < m.height(); r++) {
            int img = (m.y() + r) * iw + m.x(), loc = r * w;
            for (int c = 0; c < w; c++) {
                if (m.bitAt(loc + c) != 0 && occupied[img + c] == 0) free++;
            }
        }
        return free;
    }

    /** Marks the free pixels of {@code m} as taken and returns {@code m} without the pixels taken before. */
    private CompactMask claim(CompactMask m) {
        int w = m.width(), iw = m.imageWidth();
        byte[] bits = new byte[w * m.height()];
        for (int r = 0; r < m.height(); r++) {
            int img = (m.y() + r) * iw + m.x(), loc = r * w;
            for (int c = 0; c < w; c++) {
                if (m.bitAt(loc + c) != 0 && occupied[img + c] == 0) {
                    occupied[img + c] = 1;
                    bits[loc + c] = 1;
                }
            }
        }
        return new CompactMask(m.imageHeight(), m.imageWidth(), m.x(), m.y(), w, m.height(), bits);
    }

    /** Clears the occupancy under a kept mask's rectangle, leaving the bitmap all zero for the next image. */
    private void release(CompactMask m) {
        int iw = m.imageWidth();
        for (int r = 0; r < m.height(); r++) {
            int img = (m.y() + r) * iw + m.x();
            java.util.Arrays.fill(occupied, img, img + m.width(), (byte) 0);
        }
    }
}
