package dev.maskrt.cascade;

import dev.maskrt.engine.Engine;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.engine.TensorSpec;
import dev.maskrt.util.Npy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link Engine} that replays one graph's run recorded by the PyTorch reference ({@code maskrt_export reference
 * --dense}): given an input that matches the recorded input row by row (rows = axis 0, within {@code tolerance}),
 * it returns the recorded outputs of the matching rows. A row may be found up to {@link #SWAP_WINDOW} places from
 * where it was recorded (proposals with near-equal logits can swap places). A row with no recorded row within the
 * tolerance is answered with the closest one and listed in {@link #outOfTolerance()}: the sparse steps fed the graph
 * something torch's did not.
 *
 * <p>Keeps the largest input difference seen ({@link #worstInputDifference()}). Thread-safe for the sequential
 * use of the tests only.
 */
final class RecordedEngine implements Engine {
    static final int SWAP_WINDOW = 8;

    private final String name;
    private final Npy.Array input;
    private final Map<String, Npy.Array> outputs;
    private final double tolerance;
    private double worstInputDifference;
    private final List<Mismatch> outOfTolerance = new java.util.ArrayList<>();

    /**
     * @param name the graph's name in messages
     * @param input the recorded input, axis 0 = rows (one image, or one RoI)
     * @param outputs the recorded outputs by tensor name, each with the same rows as {@code input}
     * @param tolerance per element: {@code |java - torch| <= tolerance * (1 + |torch|)}
     */
    RecordedEngine(String name, Npy.Array input, Map<String, Npy.Array> outputs, double tolerance) {
        this.name = name;
        this.input = input;
        this.outputs = new LinkedHashMap<>(outputs);
        this.tolerance = tolerance;
    }

    /** The recorded graph of {@code graph} (e.g. {@code box_head_0}) in reference arrays with {@code dense.} keys. */
    static RecordedEngine of(TinyReference.Image ref, String graph, String inputName, double tolerance) {
        String prefix = "dense." + graph + ".";
        Map<String, Npy.Array> outs = new LinkedHashMap<>();
        ref.arrays().keySet().stream().filter(k -> k.startsWith(prefix) && !k.equals(prefix + inputName)).sorted()
                .forEach(k -> outs.put(k.substring(prefix.length()), ref.get(k)));
        return new RecordedEngine(graph, ref.get(prefix + inputName), outs, tolerance);
    }

    double worstInputDifference() { return worstInputDifference; }

    /** An input row beyond the tolerance: it was answered with the closest recorded row. */
    record Mismatch(int row, int recordedRow, double difference) {}

    /** The input rows that differed from every recorded row near them by more than the tolerance. */
    List<Mismatch> outOfTolerance() { return List.copyOf(outOfTolerance); }

    @Override public String graphName() { return name; }

    @Override public List<TensorSpec> inputs() { return List.of(); }

    @Override public List<TensorSpec> outputs() { return List.of(); }

    @Override
    public Map<String, HostTensor> run(Map<String, HostTensor> inputs) {
        if (inputs.size() != 1) throw new AssertionError(name + ": expected one input, got " + inputs.keySet());
        HostTensor in = inputs.values().iterator().next();
        int[] shape = input.shape();
        int rowSize = input.size() / Math.max(shape[0], 1);
        for (int a = 1; a < shape.length; a++) {
            if (in.dim(a) != shape[a]) {
                throw new AssertionError(name + ": input axis " + a + " is " + in.dim(a) + ", recorded " + shape[a]);
            }
        }
        float[] recorded = input.asFloats(), actual = in.toArray();
        int rows = (int) in.dim(0), recordedRows = shape[0];
        int[] source = new int[rows];
        boolean[] used = new boolean[recordedRows];
        for (int i = 0; i < rows; i++) {
            int best = -1;
            double bestExcess = Double.POSITIVE_INFINITY, bestDiff = 0;
            for (int step = 0; step <= 2 * SWAP_WINDOW; step++) {
                int j = i + (step % 2 == 0 ? step / 2 : -(step + 1) / 2); // i, i - 1, i + 1, i - 2, ...
                if (j < 0 || j >= recordedRows || used[j]) continue;
                double excess = Double.NEGATIVE_INFINITY, diff = 0;
                for (int e = 0; e < rowSize; e++) {
                    float t = recorded[j * rowSize + e];
                    double d = Math.abs(actual[i * rowSize + e] - t);
                    diff = Math.max(diff, d);
                    excess = Math.max(excess, d - tolerance * (1 + Math.abs(t)));
                }
                if (excess < bestExcess) {
                    bestExcess = excess;
                    bestDiff = diff;
                    best = j;
                }
                if (excess <= 0) break; // the nearest row that matches
            }
            if (best < 0) {
                throw new AssertionError(name + ": input row " + i + " of " + rows + " has no recorded row near it ("
                        + recordedRows + " recorded)");
            }
            if (bestExcess > 0) outOfTolerance.add(new Mismatch(i, best, bestDiff));
            used[best] = true;
            source[i] = best;
            worstInputDifference = Math.max(worstInputDifference, bestDiff);
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        outputs.forEach((k, v) -> {
            int[] s = v.shape();
            int size = v.size() / Math.max(s[0], 1);
            float[] all = v.asFloats(), picked = new float[rows * size];
            for (int i = 0; i < rows; i++) System.arraycopy(all, source[i] * size, picked, i * size, size);
            long[] shapeOut = new long[s.length];
            shapeOut[0] = rows;
            for (int a = 1; a < s.length; a++) shapeOut[a] = s[a];
            out.put(k, HostTensor.wrap(picked, shapeOut));
        });
        return out;
    }

    @Override public void close() {}
}
