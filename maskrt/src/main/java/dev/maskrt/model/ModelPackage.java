package dev.maskrt.model;

import dev.maskrt.engine.GraphDeclaration;

import dev.maskrt.config.Backend;
import dev.maskrt.engine.Engine;
import dev.maskrt.model.EngineFactory;
import dev.maskrt.error.InputFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A loaded model package (see {@code docs/MODEL_PACKAGE.md}): the validated {@link ModelManifest} and one open
 * {@link Engine} per graph. {@link #load} refuses a bad package with an {@link InputFormatException} whose message
 * names the file and the field: a missing directory, manifest or graph file; a missing or ill-typed field; an
 * unknown {@code format_version} or {@code flavour}; declarations that do not fit the pipeline; graphs whose inputs
 * or outputs (names, ranks, fixed sizes) differ from the manifest.
 *
 * <p>Thread-safety: the engines may run concurrently (see {@link Engine}); {@link #close} releases them and is
 * idempotent.
 */
public final class ModelPackage implements AutoCloseable {
    /** The manifest's file name inside a package directory. */
    public static final String MANIFEST = "manifest.json";

    private final Path directory;
    private final ModelManifest manifest;
    private final int fpnChannels;
    private final Engine backbone;
    private final List<Engine> boxHeads;
    private final Engine maskHead;

    private ModelPackage(Path directory, ModelManifest manifest, int fpnChannels, Engine backbone,
            List<Engine> boxHeads, Engine maskHead) {
        this.directory = directory;
        this.manifest = manifest;
        this.fpnChannels = fpnChannels;
        this.backbone = backbone;
        this.boxHeads = List.copyOf(boxHeads);
        this.maskHead = maskHead;
    }

    /** Loads a package on the CPU backend with default ONNX Runtime settings. */
    public static ModelPackage load(Path dir) {
        return load(dir, EngineFactory.forBackend(Backend.CPU));
    }

    /**
     * Reads and validates the manifest, opens every graph with {@code engines} and checks each against the manifest.
     * On any failure the graphs opened so far are closed before the exception leaves.
     *
     * @throws InputFormatException naming the file and field of the first problem found
     */
    public static ModelPackage load(Path dir, EngineFactory engines) {
        if (dir == null) throw new IllegalArgumentException("dir must not be null");
        if (engines == null) throw new IllegalArgumentException("engines must not be null");
        if (!Files.isDirectory(dir)) throw new InputFormatException(dir + ": not a model package directory");
        return load(dir, readManifest(dir), engines);
    }

    /**
     * As {@link #load(Path, EngineFactory)} with the manifest already read by {@link #readManifest(Path)} from
     * {@code dir} (a caller that needed it first, e.g. to plan its engines).
     *
     * @throws InputFormatException naming the file and field of the first problem found
     */
    public static ModelPackage load(Path dir, ModelManifest manifest, EngineFactory engines) {
        if (dir == null) throw new IllegalArgumentException("dir must not be null");
        if (manifest == null) throw new IllegalArgumentException("manifest must not be null");
        if (engines == null) throw new IllegalArgumentException("engines must not be null");
        int channels = GraphValidator.checkDeclarations(manifest);
        List<Engine> opened = new ArrayList<>();
        try {
            for (GraphDeclaration g : manifest.graphs()) {
                Engine e = engines.open(dir.resolve(g.file()), g, manifest);
                opened.add(e);
                GraphValidator.checkEngine(manifest, g, e);
            }
        } catch (RuntimeException e) {
            opened.forEach(Engine::close);
            throw e;
        }
        int stages = manifest.boxHeads().size();
        return new ModelPackage(dir, manifest, channels, opened.get(0), opened.subList(1, 1 + stages),
                manifest.hasMasks() ? opened.get(1 + stages) : null);
    }

    /**
     * Reads and validates {@code dir/manifest.json} without opening the graphs (graph files must exist).
     *
     * @throws InputFormatException naming the manifest and the field
     */
    public static ModelManifest readManifest(Path dir) {
        if (dir == null) throw new IllegalArgumentException("dir must not be null");
        return ManifestReader.read(dir);
    }

    public Path directory() { return directory; }

    public ModelManifest manifest() { return manifest; }

    /** C, the channel count of the FPN features the RoI heads pool from. */
    public int fpnChannels() { return fpnChannels; }

    /** The backbone + FPN + RPN head graph. */
    public Engine backbone() { return backbone; }

    /** The box head of box stage {@code k}. */
    public Engine boxHead(int k) { return boxHeads.get(k); }

    /** The mask head, or null for a box-only model. */
    public Engine maskHead() { return maskHead; }

    /** Closes every graph. Idempotent. */
    @Override
    public void close() {
        backbone.close();
        boxHeads.forEach(Engine::close);
        if (maskHead != null) maskHead.close();
    }
}
