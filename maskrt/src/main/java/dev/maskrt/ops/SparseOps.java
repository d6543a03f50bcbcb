package dev.maskrt.ops;

import java.util.Objects;

/**
 * One backend's set of sparse ops, as the pipeline uses them: {@link Nms}, {@link BoxTransform},
 * {@link RoiAlign} and {@link MaskPaster}, all from the same implementation ({@link #name()}: {@code "cpu"} or
 * {@code "cuda"}). {@link #close()} releases what the backend holds (device memory, streams); it is idempotent.
 * Thread-safe as its ops are.
 */
public final class SparseOps implements AutoCloseable {
    private final String name;
    private final Nms nms;
    private final BoxTransform boxTransform;
    private final RoiAlign roiAlign;
    private final MaskPaster maskPaster;
    private final AutoCloseable resources;
    private boolean closed;

    /**
     * @param resources closed by {@link #close()} (may be null)
     */
    public SparseOps(String name, Nms nms, BoxTransform boxTransform, RoiAlign roiAlign, MaskPaster maskPaster,
            AutoCloseable resources) {
        this.name = Objects.requireNonNull(name, "name");
        this.nms = Objects.requireNonNull(nms, "nms");
        this.boxTransform = Objects.requireNonNull(boxTransform, "boxTransform");
        this.roiAlign = Objects.requireNonNull(roiAlign, "roiAlign");
        this.maskPaster = Objects.requireNonNull(maskPaster, "maskPaster");
        this.resources = resources;
    }

    public String name() { return name; }

    public Nms nms() { return nms; }

    public BoxTransform boxTransform() { return boxTransform; }

    public RoiAlign roiAlign() { return roiAlign; }

    public MaskPaster maskPaster() { return maskPaster; }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (resources != null) {
            try {
                resources.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing the " + name + " ops failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "SparseOps[" + name + "]";
    }
}
