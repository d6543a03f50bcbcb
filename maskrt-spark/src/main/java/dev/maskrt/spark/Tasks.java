package dev.maskrt.spark;

import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;

/** What a task needs to predict: its executor's predictor, and the thread count chosen on the driver. */
final class Tasks {
    private Tasks() {}

    /**
     * The threads of each executor's predictor, chosen on the driver: the options' count when set, else the executor's
     * cores divided among the tasks it runs at once, i.e. {@code spark.executor.cores / (spark.executor.cores /
     * spark.task.cpus)} = {@code spark.task.cpus} (default 1; in {@code local[N]}, N tasks of 1 core). So an executor
     * with C cores runs C / task.cpus images at once, each call on task.cpus threads, and its threads never exceed
     * its cores: images in parallel, rather than every task's call spreading over all the cores (C tasks x C threads).
     * Raise {@code spark.task.cpus} to give each image more threads and run fewer at once.
     */
    static int predictorThreads(SparkSession spark, int requested) {
        if (requested > 0) return requested;
        SparkConf conf = spark.sparkContext().getConf();
        return cap(conf.getInt("spark.task.cpus", 1));
    }

    private static int cap(int threads) {
        return Math.max(1, Math.min(PredictorOptions.MAX_THREADS, threads));
    }

    /** The GPU addresses Spark gave the running task (empty outside a task or without GPU scheduling). */
    static String[] taskGpus() {
        TaskContext tc = TaskContext.get();
        if (tc == null) return new String[0];
        ResourceInformation gpu = tc.resourcesJMap().get("gpu");
        return gpu == null ? new String[0] : gpu.addresses();
    }

    /**
     * This JVM's predictor for the model and options (opened by the first caller, then shared), on the device the
     * running task was given.
     *
     * @param threads from {@link #predictorThreads}; 0 means this JVM's processor count
     */
    static Predictor predictor(ModelLocation model, MaskrtSparkOptions options, int threads) {
        DeviceSelection.Choice choice = DeviceSelection.choose(options.backend(), taskGpus());
        int t = threads > 0 ? threads : cap(Runtime.getRuntime().availableProcessors());
        String key = model.key() + "|" + options.predictorKey(t, choice);
        return ExecutorPredictors.get(key,
                () -> Predictor.open(model.directory(new Configuration()), options.predictorOptions(t, choice)));
    }
}
