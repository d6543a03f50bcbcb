package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.engine.Engine;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.engine.OnnxRuntimeEngine;
import dev.maskrt.engine.TensorSpec;
import dev.maskrt.model.PoolerSettings;
import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.cpu.CpuRoiAlign;
import dev.maskrt.util.Workers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The mask head split over several runs ({@link Engine#preferredRowsPerRun}) gives the same probabilities as one
 * run: each RoI's class channel lands at its own row, whatever the split (the tiny package's mask head, 11 RoIs of
 * random features, 3 classes).
 */
class MaskPredictorTest {
    private static final Path MASK_HEAD = Path.of("src/test/resources/models/tiny/mask_head.onnx");

    /** The real engine, preferring {@code rows} rows per run and recording the row count of every run. */
    private static final class SplittingEngine implements Engine {
        final Engine inner;
        final int rows;
        final List<Long> runs = new ArrayList<>();

        SplittingEngine(Engine inner, int rows) {
            this.inner = inner;
            this.rows = rows;
        }

        @Override public String graphName() { return inner.graphName(); }
        @Override public List<TensorSpec> inputs() { return inner.inputs(); }
        @Override public List<TensorSpec> outputs() { return inner.outputs(); }
        @Override public int preferredRowsPerRun(long bytesPerRow) { return rows; }
        @Override public void close() { }

        @Override
        public Map<String, HostTensor> run(Map<String, HostTensor> inputs) {
            runs.add(inputs.values().iterator().next().dim(0));
            return inner.run(inputs);
        }
    }

    @Test
    void splittingTheRoisOverRunsChangesNoProbability() {
        Random r = new Random(3);
        FeatureMap[] levels = new FeatureMap[4];
        for (int k = 0; k < 4; k++) {
            int side = 64 >> k;
            float[] d = new float[16 * side * side];
            for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
            levels[k] = new FeatureMap(d, 1, 16, side, side, 0.25f / (1 << k));
        }
        int n = 11;
        float[] boxes = new float[4 * n];
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            float x = r.nextFloat() * 200, y = r.nextFloat() * 200, size = 8 + r.nextFloat() * 120;
            boxes[4 * i] = x;
            boxes[4 * i + 1] = y;
            boxes[4 * i + 2] = Math.min(256, x + size);
            boxes[4 * i + 3] = Math.min(256, y + size * (0.5f + r.nextFloat()));
            classes[i] = r.nextInt(3);
        }
        Detections detections = new Detections(boxes, new float[n], classes);
        PoolerSettings settings = new PoolerSettings(14, 0, true, 224, 4, List.of("p2", "p3", "p4", "p5"),
                PoolerSettings.DEFAULT_FINEST_SCALE);
        try (Workers workers = new Workers(2); Engine head = OnnxRuntimeEngine.open(MASK_HEAD)) {
            RoiPooler pooler = new RoiPooler(settings, new CpuRoiAlign(workers));
            float[] reference = null;
            for (int rows : new int[] {Integer.MAX_VALUE, 3, 1}) {
                SplittingEngine engine = new SplittingEngine(head, rows);
                MaskProbabilities probs = new MaskPredictor(engine, pooler, false).predict(levels, detections, 0);
                assertEquals(28, probs.height());
                assertEquals(28, probs.width());
                List<Long> expectedRuns = new ArrayList<>();
                for (int left = n; left > 0; left -= Math.min(rows, left)) expectedRuns.add((long) Math.min(rows, left));
                assertEquals(expectedRuns, engine.runs, rows + " rows per run");
                if (reference == null) {
                    reference = probs.values();
                } else {
                    assertArrayEquals(reference, probs.values(), 1e-6f, rows + " rows per run vs one run");
                }
            }
            // each RoI's own class channel: the per-class results differ, so a misplaced row would show
            float[] agnostic = new MaskPredictor(new SplittingEngine(head, 3), pooler, true).predict(levels,
                    detections, 0).values();
            assertFalse(java.util.Arrays.equals(reference, agnostic), "class channels are distinct");
        }
    }
}
