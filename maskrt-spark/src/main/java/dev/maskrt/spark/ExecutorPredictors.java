package dev.maskrt.spark;

import dev.maskrt.Predictor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The predictors of this JVM (a Spark executor, or the driver in local mode): one per model location and options,
 * opened by the first task that needs it and shared by every later task (a {@link Predictor} is thread-safe; its
 * threads are divided among concurrent calls, not multiplied), so a model is loaded once per executor, not per
 * partition or per task. Closed when the JVM shuts down.
 *
 * <p>The cache lives in a static field of the class loader that loaded maskrt-spark: put maskrt-spark and maskrt on
 * one class path only (the job's jars, or {@code spark.executor.extraClassPath}, not both), else two loaders each
 * load the classes and the native libraries, which the JVM refuses for the second one.
 */
final class ExecutorPredictors {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorPredictors.class);
    private static final Map<String, Predictor> OPEN = new ConcurrentHashMap<>();
    private static final AtomicInteger OPENED = new AtomicInteger();
    private static final java.util.List<java.nio.file.Path> TEMPORARY = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static volatile boolean hooked;

    private ExecutorPredictors() {}

    /**
     * The predictor for {@code key}, opened with {@code open} when this JVM has none yet. Tasks asking for the same key
     * at once wait for the one that opens it; a failed open is not cached (the next task tries again).
     */
    static Predictor get(String key, Supplier<Predictor> open) {
        Predictor p = OPEN.get(key);
        if (p != null) return p;
        hookShutdown();
        return OPEN.computeIfAbsent(key, k -> {
            long t = System.nanoTime();
            Predictor opened = open.get();
            OPENED.incrementAndGet();
            LOG.info("maskrt-spark: opened predictor {} in {} ms ({} backend)", k, (System.nanoTime() - t) / 1_000_000,
                    opened.backend());
            return opened;
        });
    }

    /** How many predictors this JVM has opened so far (tests: the model is not re-loaded per partition). */
    static int openedCount() {
        return OPENED.get();
    }

    /** How many predictors are open now. */
    static int openCount() {
        return OPEN.size();
    }

    private static synchronized void hookShutdown() {
        if (hooked) return;
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorPredictors::shutdown, "maskrt-spark-close-predictors"));
        hooked = true;
    }

    /** Deletes a temporary file or folder (an unzipped model) when the JVM shuts down, after the predictors close. */
    static void deleteAtShutdown(java.nio.file.Path path) {
        hookShutdown();
        TEMPORARY.add(path);
    }

    private static void shutdown() {
        closeAll();
        for (java.nio.file.Path p : TEMPORARY) {
            try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(p)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (java.io.IOException | RuntimeException ignored) {
                // best effort at shutdown
            }
        }
    }

    /** Closes every predictor of this JVM (the shutdown hook; also for tests). */
    static synchronized void closeAll() {
        for (String key : OPEN.keySet()) {
            Predictor p = OPEN.remove(key);
            if (p == null) continue;
            try {
                p.close();
            } catch (RuntimeException e) {
                LOG.warn("maskrt-spark: closing predictor {}: {}", key, e.toString());
            }
        }
    }
}
