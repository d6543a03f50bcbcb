package dev.maskrt.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.maskrt.ops.cpu.CpuMaskPaster;
import dev.maskrt.util.Workers;
import dev.maskrt.output.CocoRle;
import dev.maskrt.output.CompactMask;
import dev.maskrt.output.KaggleRle;
import dev.maskrt.output.PixelOrder;
import dev.maskrt.util.Npy;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;

/**
 * What only the CUDA implementation has: the device RLE encoder (against {@link KaggleRle} and {@link CocoRle}),
 * the fused paste-to-runs path, the memory pool's steady state and idempotent closing. Skipped without a device.
 */
class CudaDeviceTest {
    private static DeviceMemoryPool pool;
    private static Workers workers;

    @BeforeEach
    void requireDevice() {
        Assumptions.assumeTrue(CudaRuntime.isAvailable(), () -> "no CUDA device: " + CudaRuntime.unavailableReason());
        synchronized (CudaDeviceTest.class) {
            if (pool == null) {
                pool = new DeviceMemoryPool(0);
                workers = new Workers(2);
            }
        }
    }

    @AfterAll
    static void tearDown() {
        if (pool != null) pool.close();
        if (workers != null) workers.close();
    }

    /** Masks with full-width and full-height hulls (runs merge across lines), empty ones and edge pixels. */
    private static CompactMask[] nastyMasks(int imageHeight, int imageWidth) {
        Random random = new Random(61);
        CompactMask[] masks = new CompactMask[40];
        for (int i = 0; i < masks.length; i++) {
            int x = i % 4 == 0 ? 0 : random.nextInt(imageWidth);
            int y = i % 5 == 0 ? 0 : random.nextInt(imageHeight);
            int w = i % 4 == 0 ? imageWidth : 1 + random.nextInt(imageWidth - x);
            int h = i % 3 == 0 ? imageHeight - y : 1 + random.nextInt(imageHeight - y);
            if (i == 7) w = 0;
            byte[] bits = new byte[w * h];
            double density = i % 6 == 0 ? 1.0 : random.nextDouble();
            for (int k = 0; k < bits.length; k++) bits[k] = (byte) (random.nextDouble() < density ? 1 : 0);
            masks[i] = w == 0 ? CompactMask.empty(imageHeight, imageWidth)
                    : new CompactMask(imageHeight, imageWidth, x, y, w, h, bits);
        }
        return masks;
    }

    @Test
    void rleMatchesKaggleAndCocoEncoders() {
        try (CudaRle rle = new CudaRle(pool)) {
            for (int[] size : new int[][] {{1, 1}, {17, 23}, {64, 5}}) {
                CompactMask[] masks = nastyMasks(size[0], size[1]);
                for (PixelOrder order : PixelOrder.values()) {
                    int[][] runs = rle.kaggleRuns(masks, order);
                    for (int i = 0; i < masks.length; i++) {
                        assertArrayEquals(KaggleRle.runs(masks[i], order), runs[i], order + " mask " + i);
                    }
                }
                int[][] counts = rle.cocoCounts(masks);
                for (int i = 0; i < masks.length; i++) {
                    assertArrayEquals(CocoRle.encode(masks[i]).counts(), counts[i], "COCO mask " + i);
                }
            }
        }
    }

    @Test
    void pasteRunsEqualsPastingThenEncoding() throws Exception {
        Map<String, Npy.Array> a = Npy.readArchive(Path.of("src/test/resources/ops/paste/large_1040x1408.npz"));
        int[] shape = a.get("masks").shape();
        int[] size = a.get("image_size").asInts();
        float[] masks = a.get("masks").asFloats(), boxes = a.get("boxes").asFloats();
        float threshold = (float) a.get("threshold").scalar();
        CompactMask[] cpu = new CpuMaskPaster(workers).paste(masks, shape[1], shape[2], boxes, size[0], size[1],
                threshold);
        try (CudaMaskPaster paster = new CudaMaskPaster(pool)) {
            for (PixelOrder order : PixelOrder.values()) {
                int[][] runs = paster.pasteRuns(masks, shape[1], shape[2], boxes, size[0], size[1], threshold, order);
                for (int i = 0; i < cpu.length; i++) {
                    assertArrayEquals(KaggleRle.runs(cpu[i], order), runs[i], order + " mask " + i);
                }
            }
        }
    }

    @Test
    void steadyStateDoesNotAllocate() {
        try (CudaNms nms = new CudaNms(pool)) {
            float[] boxes = new float[4 * 500];
            float[] scores = new float[500];
            Random random = new Random(3);
            for (int i = 0; i < 500; i++) {
                boxes[4 * i] = random.nextFloat() * 100;
                boxes[4 * i + 1] = random.nextFloat() * 100;
                boxes[4 * i + 2] = boxes[4 * i] + 20;
                boxes[4 * i + 3] = boxes[4 * i + 1] + 20;
                scores[i] = random.nextFloat();
            }
            int[] first = nms.nms(boxes, scores, 0.5);
            long calls = pool.mallocCalls();
            assertArrayEquals(first, nms.nms(boxes, scores, 0.5));
            assertEquals(calls, pool.mallocCalls(), "the second call reuses pooled blocks");
        }
    }

    @Test
    void closingIsIdempotent() {
        CudaStream stream = new CudaStream(0);
        stream.close();
        stream.close();
        assertThrows(IllegalStateException.class, stream::handle);
        DeviceBuffer buffer = pool.acquire(1000);
        buffer.close();
        buffer.close();
        assertThrows(IllegalStateException.class, buffer::address);
    }
}
