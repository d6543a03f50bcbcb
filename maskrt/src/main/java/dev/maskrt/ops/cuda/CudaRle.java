package dev.maskrt.ops.cuda;

import dev.maskrt.output.CompactMask;
import dev.maskrt.output.PixelOrder;

/**
 * Run-length encoding of box-local masks on the GPU ({@code maskrt_rle_count} + {@code maskrt_rle_encode}):
 * Kaggle runs ({@code [start, length, ...]}, 1-indexed, as {@link dev.maskrt.output.KaggleRle#runs}) and COCO
 * counts (column-major, starting with 0s, as {@link dev.maskrt.output.CocoRle#encode}'s counts). Thread-safe
 * (calls are serialised on one stream).
 */
public final class CudaRle extends CudaOpBase {
    /** @param pool device memory; not closed by this */
    public CudaRle(DeviceMemoryPool pool) {
        super(pool);
    }

    /** Kaggle runs of each mask in {@code order}; all masks must share one image size. */
    public synchronized int[][] kaggleRuns(CompactMask[] masks, PixelOrder order) {
        if (order == null) throw new IllegalArgumentException("order must not be null");
        return encodeMasks(masks, order, false)[0];
    }

    /** COCO counts of each mask (column-major); all masks must share one image size. */
    public synchronized int[][] cocoCounts(CompactMask[] masks) {
        return encodeMasks(masks, PixelOrder.COLUMN_MAJOR, true)[1];
    }

    private int[][][] encodeMasks(CompactMask[] masks, PixelOrder order, boolean coco) {
        if (masks == null) throw new IllegalArgumentException("masks must not be null");
        int n = masks.length;
        if (n == 0) return new int[][][] {new int[0][], new int[0][]};
        int imageHeight = -1, imageWidth = -1;
        long total = 0;
        for (int i = 0; i < n; i++) {
            CompactMask m = masks[i];
            if (m == null) throw new IllegalArgumentException("masks[" + i + "] must not be null");
            if (i == 0) {
                imageHeight = m.imageHeight();
                imageWidth = m.imageWidth();
            } else if (m.imageHeight() != imageHeight || m.imageWidth() != imageWidth) {
                throw new IllegalArgumentException("masks[" + i + "]: image " + m.imageWidth() + "x" + m.imageHeight()
                        + " differs from masks[0]'s " + imageWidth + "x" + imageHeight);
            }
            total += (long) m.width() * m.height();
        }
        if (imageHeight < 1 || imageWidth < 1 || (long) imageHeight * imageWidth > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("masks: image size " + imageWidth + "x" + imageHeight
                    + " must be >= 1x1 and at most 2^31 - 1 pixels");
        }
        if (total > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("masks: " + total + " pixels in all");
        byte[] bits = new byte[(int) total];
        int[] hulls = new int[4 * n];
        long[] offsets = new long[n + 1];
        for (int i = 0; i < n; i++) {
            CompactMask m = masks[i];
            int size = m.width() * m.height();
            if (size > 0) {
                hulls[4 * i] = m.x();
                hulls[4 * i + 1] = m.y();
                hulls[4 * i + 2] = m.width();
                hulls[4 * i + 3] = m.height();
                for (int k = 0; k < size; k++) bits[(int) offsets[i] + k] = m.bitAt(k);
            }
            offsets[i + 1] = offsets[i] + size;
        }
        try (HostTransfer t = transfer()) {
            long dBits = t.upload(bits);
            long dHulls = t.upload(hulls);
            long dOffsets = t.upload(offsets);
            return encode(t, dBits, dHulls, dOffsets, n, imageHeight, imageWidth, order, coco);
        }
    }

    /** Kaggle runs ([0]) and, when {@code coco}, COCO counts ([1]) of packed device bitmaps. */
    static int[][][] encode(HostTransfer t, long bits, long hulls, long offsets, int n, int imageHeight,
            int imageWidth, PixelOrder order, boolean coco) {
        int pixelOrder = order == PixelOrder.ROW_MAJOR ? 0 : 1;
        DeviceBuffer kaggleOffsets = t.allocate(8L * (n + 1));
        DeviceBuffer cocoOffsets = coco ? t.allocate(8L * (n + 1)) : null;
        long[] bytes = new long[1];
        DeviceBuffer scratch = t.allocate(bytesQuery(CudaNative.maskrt_rle_scratch_bytes(n, bytes), bytes,
                "maskrt_rle_scratch_bytes"));
        CudaRuntime.check(CudaNative.maskrt_rle_count(bits, hulls, offsets, n, imageHeight, imageWidth, pixelOrder,
                kaggleOffsets.address(), coco ? cocoOffsets.address() : 0, scratch.address(), scratch.bytes(),
                t.stream()), "maskrt_rle_count");
        long[] kOff = t.downloadLongs(kaggleOffsets.address(), n + 1);
        long[] cOff = coco ? t.downloadLongs(cocoOffsets.address(), n + 1) : null;
        DeviceBuffer kaggle = t.allocate(4L * kOff[n]);
        DeviceBuffer counts = coco ? t.allocate(4L * cOff[n]) : null;
        CudaRuntime.check(CudaNative.maskrt_rle_encode(bits, hulls, offsets, n, imageHeight, imageWidth, pixelOrder,
                kaggleOffsets.address(), kaggle.address(), coco ? cocoOffsets.address() : 0,
                coco ? counts.address() : 0, t.stream()), "maskrt_rle_encode");
        int[] flatKaggle = t.downloadInts(kaggle.address(), (int) kOff[n]);
        int[][] runs = split(flatKaggle, kOff, n);
        int[][] cocoCounts = coco ? split(t.downloadInts(counts.address(), (int) cOff[n]), cOff, n) : null;
        return new int[][][] {runs, cocoCounts};
    }

    private static int[][] split(int[] flat, long[] offsets, int n) {
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, (int) offsets[i], (int) offsets[i + 1]);
        }
        return out;
    }
}
