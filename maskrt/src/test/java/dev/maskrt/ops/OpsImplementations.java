package dev.maskrt.ops;

import dev.maskrt.ops.cpu.CpuOps;
import dev.maskrt.util.Workers;
import dev.maskrt.ops.cuda.CudaOps;
import dev.maskrt.ops.cuda.CudaRuntime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Named;

/**
 * Every implementation of the sparse ops, for tests that run the same checks on each: {@code cpu} (2 threads)
 * and {@code cuda}. Asking for an implementation that cannot run here skips the test through JUnit
 * {@link Assumptions} with the reason ("no CUDA device: ..."). Instances are made once per JVM and shared.
 */
public final class OpsImplementations {
    private static final Map<String, SparseOps> MADE = new LinkedHashMap<>();
    private static Workers workers;

    private OpsImplementations() {}

    /** {@code @MethodSource} argument stream: one named supplier per implementation. */
    public static Stream<Named<Supplier<SparseOps>>> all() {
        return Stream.of(Named.of("cpu", () -> get("cpu")), Named.of("cuda", () -> get("cuda")));
    }

    /** The implementation called {@code name}; skips the calling test when it cannot run here. */
    public static synchronized SparseOps get(String name) {
        if (name.equals("cuda")) {
            Assumptions.assumeTrue(CudaRuntime.isAvailable(), () -> "no CUDA device: " + CudaRuntime.unavailableReason());
        }
        return MADE.computeIfAbsent(name, n -> {
            if (n.equals("cpu")) {
                if (workers == null) workers = new Workers(2);
                return CpuOps.create(workers);
            }
            return CudaOps.cuda(0);
        });
    }
}
