package dev.maskrt.engine;

import dev.maskrt.error.EngineException;

import java.util.List;
import java.util.Map;

/**
 * One loaded network graph (a backbone, a box head, a mask head) that maps named float32 tensors to named float32
 * tensors. The cascade pipeline is written against this interface only; a backend (ONNX Runtime on the CPU,
 * TensorRT on the GPU) supplies the implementation.
 *
 * <p>Thread-safety: implementations must allow {@link #run} from many threads at once on one engine. {@link #close}
 * may be called at any time and more than once; it waits for runs in progress, and a later {@link #run} throws
 * {@link IllegalStateException}.
 */
public interface Engine extends AutoCloseable {

    /** The graph this engine runs, as named in error messages (usually its file path). */
    String graphName();

    /** The graph's inputs, in declaration order. */
    List<TensorSpec> inputs();

    /** The graph's outputs, in declaration order. */
    List<TensorSpec> outputs();

    /**
     * Runs the graph once.
     *
     * @param inputs one tensor per graph input, keyed by input name; each must have the declared rank and every
     *               fixed dimension as declared (dynamic dimensions take any size {@code >= 0}). The tensors are
     *               only read, and only during the call.
     * @return one tensor per graph output, keyed by output name in declaration order; the caller owns them
     * @throws IllegalArgumentException naming the graph, the tensor and the dimension when {@code inputs} does
     *                                  not match the graph (unknown or missing name, wrong rank, wrong fixed size)
     * @throws EngineException          when the backend fails to run valid inputs
     * @throws IllegalStateException    after {@link #close()}
     */
    Map<String, HostTensor> run(Map<String, HostTensor> inputs);

    /**
     * How many rows (entries of the first dimension) of an input with {@code bytesPerRow} bytes per row this
     * engine runs best at once, for a caller whose rows are independent and may be split over several runs (the
     * mask head's RoIs). A hint, not a limit: any row count the graph declares stays valid. Default: all rows.
     *
     * @param bytesPerRow bytes of one row of the input, {@code >= 1}
     * @return {@code >= 1}
     */
    default int preferredRowsPerRun(long bytesPerRow) {
        return Integer.MAX_VALUE;
    }

    /** Releases the graph's native resources. Idempotent. */
    @Override
    void close();
}
