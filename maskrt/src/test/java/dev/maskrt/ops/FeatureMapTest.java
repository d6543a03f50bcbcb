package dev.maskrt.ops;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.util.Workers;
import org.junit.jupiter.api.Test;

/** {@link FeatureMap}'s channels-last copy: every value at its NHWC index, made once, independent of threads. */
class FeatureMapTest {
    @Test
    void channelsLastHoldsEveryValueAtItsNhwcIndex() {
        int batch = 2, channels = 19, height = 5, width = 301; // 19: a partial 16-channel block; 1505 px: a partial task
        float[] data = new float[batch * channels * height * width];
        for (int i = 0; i < data.length; i++) data[i] = i;
        FeatureMap map = new FeatureMap(data, batch, channels, height, width, 0.25f);
        for (int threads = 1; threads <= 3; threads++) {
            try (Workers w = new Workers(threads)) {
                float[] t = new FeatureMap(data, batch, channels, height, width, 0.25f).channelsLast(w);
                for (int n = 0; n < batch; n++)
                    for (int c = 0; c < channels; c++)
                        for (int y = 0; y < height; y++)
                            for (int x = 0; x < width; x++) {
                                float expected = data[((n * channels + c) * height + y) * width + x];
                                assertEquals(expected, t[((n * height + y) * width + x) * channels + c],
                                        "n " + n + " c " + c + " y " + y + " x " + x + ", " + threads + " threads");
                            }
            }
        }
        try (Workers w = new Workers(2)) {
            assertSame(map.channelsLast(w), map.channelsLast(w), "made once and kept");
        }
        assertEquals(batch * channels * height * width, map.data().length, "the NCHW data stays as given");
    }
}
