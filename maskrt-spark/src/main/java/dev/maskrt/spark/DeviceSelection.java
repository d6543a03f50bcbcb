package dev.maskrt.spark;

import dev.maskrt.config.Backend;
import java.io.Serializable;

/**
 * Which backend and GPU a task's predictor uses. Spark's GPU scheduling
 * ({@code spark.executor.resource.gpu.amount}, {@code spark.task.resource.gpu.amount} and a discovery script) gives
 * each task the addresses of its GPUs; the predictor then runs on the first of them, and since the device is part of
 * the predictor's key, an executor with several GPUs holds one predictor per GPU, each shared by the tasks given that
 * GPU. A task given no GPU uses the CPU under {@link Backend#AUTO} (no GPU probing, so no CUDA context on a GPU that
 * Spark gave to another executor) and device 0 under {@link Backend#TENSORRT}; {@link Backend#CPU} never uses a GPU.
 */
final class DeviceSelection {
    /**
     * A predictor's backend and device.
     *
     * @param backend the backend asked of the library
     * @param device the CUDA device, or -1 for the CPU
     */
    record Choice(Backend backend, int device) implements Serializable {
        @Override
        public String toString() {
            return backend == Backend.CPU ? "cpu" : backend.name().toLowerCase(java.util.Locale.ROOT) + ":gpu" + device;
        }
    }

    private DeviceSelection() {}

    /**
     * @param requested the backend of the options
     * @param taskGpus the GPU addresses Spark assigned to the task (empty or null when none)
     * @return the backend and device of the task's predictor
     * @throws IllegalArgumentException when a GPU address is not a device number
     */
    static Choice choose(Backend requested, String[] taskGpus) {
        if (requested == Backend.CPU) return new Choice(Backend.CPU, -1);
        if (taskGpus != null && taskGpus.length > 0) {
            String address = taskGpus[0].trim();
            int device;
            try {
                device = Integer.parseInt(address);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Spark assigned GPU address '" + address
                        + "', not a CUDA device number (check the GPU discovery script)");
            }
            if (device < 0) throw new IllegalArgumentException("Spark assigned GPU address " + device + " (< 0)");
            return new Choice(requested, device);
        }
        return requested == Backend.TENSORRT ? new Choice(Backend.TENSORRT, 0) : new Choice(Backend.CPU, -1);
    }
}
