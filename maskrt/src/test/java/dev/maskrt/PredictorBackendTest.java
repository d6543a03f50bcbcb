package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.maskrt.config.Backend;
import dev.maskrt.error.BackendUnavailableException;
import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The backend option where TensorRT cannot run (the CI machines). */
class PredictorBackendTest {
    private static final Path TINY = Path.of("src/test/resources/models/tiny");

    @Test
    void tensorRtFailsAtOnceWithTheReasonAndAutoRunsOnTheCpu() {
        TensorRtAvailability here = TensorRtAvailability.probe();
        Assumptions.assumeFalse(here.isAvailable(), "TensorRT runs here");
        BackendUnavailableException x = assertThrows(BackendUnavailableException.class,
                () -> Predictor.open(TINY, PredictorOptions.builder().backend(Backend.TENSORRT).threads(1).build()));
        assertEquals(here.reason(), x.getMessage());
        try (Predictor p = Predictor.open(TINY, PredictorOptions.builder().threads(1).build())) {
            assertEquals(Backend.CPU, p.backend());
        }
    }
}
