package dev.maskrt.spark;

import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;

/** What a task needs to predict: its executor's predictor, and the thread count chosen on the driver. */
final class Tasks {
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");

    private Tasks() {}

    /**
     * The threads of each executor's predictor, chosen on the driver: the options' when set, else
     * {@code spark.executor.cores}, else N of {@code local[N]} (local mode: the driver is the executor), else 0 (the
     * executor's own processor count). Every task of the executor shares these threads (one predictor per JVM), so
     * concurrent tasks divide the executor's cores instead of each taking them all.
     */
    static int predictorThreads(SparkSession spark, int requested) {
        if (requested > 0) return requested;
        SparkConf conf = spark.sparkContext().getConf();
        if (conf.contains("spark.executor.cores")) return cap(conf.getInt("spark.executor.cores", 1));
        Matcher m = LOCAL.matcher(spark.sparkContext().master().trim());
        if (m.matches()) {
            String n = m.group(1);
            return cap(n == null ? 1 : n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n));
        }
        return 0;
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
