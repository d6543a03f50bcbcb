package dev.maskrt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.PredictorOptions;
import dev.maskrt.config.Backend;
import org.junit.jupiter.api.Test;

/**
 * The GPU selection of executors' predictors, without a GPU: the task's first GPU address becomes the TensorRT device,
 * each device gets its own predictor (its key), tasks without a GPU use the CPU under AUTO.
 */
class DeviceSelectionTest {
    private static final String[] NONE = new String[0];

    @Test
    void cpuNeverTakesAGpu() {
        assertEquals(new DeviceSelection.Choice(Backend.CPU, -1), DeviceSelection.choose(Backend.CPU, new String[] {"1"}));
        assertEquals(new DeviceSelection.Choice(Backend.CPU, -1), DeviceSelection.choose(Backend.CPU, NONE));
    }

    @Test
    void aTaskRunsOnTheFirstGpuSparkGaveIt() {
        assertEquals(new DeviceSelection.Choice(Backend.AUTO, 1), DeviceSelection.choose(Backend.AUTO, new String[] {"1"}));
        assertEquals(new DeviceSelection.Choice(Backend.TENSORRT, 3),
                DeviceSelection.choose(Backend.TENSORRT, new String[] {" 3", "2"}));
    }

    @Test
    void withoutAGpuAutoUsesTheCpuAndTensorRtDeviceZero() {
        assertEquals(new DeviceSelection.Choice(Backend.CPU, -1), DeviceSelection.choose(Backend.AUTO, NONE));
        assertEquals(new DeviceSelection.Choice(Backend.CPU, -1), DeviceSelection.choose(Backend.AUTO, null));
        assertEquals(new DeviceSelection.Choice(Backend.TENSORRT, 0), DeviceSelection.choose(Backend.TENSORRT, NONE));
    }

    @Test
    void aGpuAddressThatIsNoDeviceNumberIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceSelection.choose(Backend.AUTO, new String[] {"GPU-8f2e"}));
        assertEquals("Spark assigned GPU address 'GPU-8f2e', not a CUDA device number (check the GPU discovery script)",
                e.getMessage());
    }

    @Test
    void onePredictorPerGpu() {
        MaskrtSparkOptions o = MaskrtSparkOptions.builder("model.zip").fp16(true).build();
        DeviceSelection.Choice gpu0 = DeviceSelection.choose(Backend.AUTO, new String[] {"0"});
        DeviceSelection.Choice gpu1 = DeviceSelection.choose(Backend.AUTO, new String[] {"1"});
        assertNotEquals(o.predictorKey(4, gpu0), o.predictorKey(4, gpu1));
        assertEquals(o.predictorKey(4, gpu1), o.predictorKey(4, DeviceSelection.choose(Backend.AUTO, new String[] {"1"})));
        PredictorOptions p = o.predictorOptions(4, gpu1);
        assertEquals(Backend.AUTO, p.backend());
        assertEquals(1, p.tensorRt().deviceId());
        assertEquals(dev.maskrt.config.Precision.FP16, p.tensorRt().precision());
        assertEquals(Backend.CPU, o.predictorOptions(4, DeviceSelection.choose(Backend.AUTO, NONE)).backend());
    }

    @Test
    void theCpuGraphFormAndArenaReachThePredictorAndItsKey() {
        DeviceSelection.Choice cpu = DeviceSelection.choose(Backend.CPU, NONE);
        MaskrtSparkOptions defaults = MaskrtSparkOptions.builder("model.zip").build();
        MaskrtSparkOptions changed = MaskrtSparkOptions.builder("model.zip").winograd(false).memoryArena(false).build();
        assertTrue(defaults.predictorOptions(2, cpu).winograd());
        assertTrue(defaults.predictorOptions(2, cpu).memoryArena());
        assertFalse(changed.predictorOptions(2, cpu).winograd());
        assertFalse(changed.predictorOptions(2, cpu).memoryArena());
        assertNotEquals(defaults.predictorKey(2, cpu), changed.predictorKey(2, cpu));
    }
}
