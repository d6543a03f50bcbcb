package dev.maskrt.cascade;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.util.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The committed reference outputs of the tiny package ({@code src/test/resources/models/tiny/reference}, written by
 * {@code tools/reference/make_tiny_model.py} with the PyTorch reference pipeline).
 */
public final class TinyReference {
    public static final Path PACKAGE = Path.of("src/test/resources/models/tiny");
    static final Path DIR = PACKAGE.resolve("reference");
    /** Where the shared images are committed for Java tests (identical copies of ../shared/data/images). */
    static final Path SHARED_COPIES = Path.of("src/test/resources/image");

    /** One reference image: its file and its arrays (keys without the prefix). */
    public record Image(Path file, Map<String, Npy.Array> arrays) {
        public Npy.Array get(String name) {
            Npy.Array a = arrays.get(name);
            if (a == null) throw new IllegalArgumentException("reference has no '" + name + "' for " + file);
            return a;
        }

        public boolean has(String name) { return arrays.containsKey(name); }
    }

    private TinyReference() {}

    /** Every reference image of the tiny package, in reference order. */
    public static List<Image> images() {
        return load(DIR.resolve("reference.npz"));
    }

    /** The images of reference outputs {@code OUT.npz} (with its {@code OUT.json}) of {@code maskrt_export reference}. */
    public static List<Image> load(Path npz) {
        try {
            String base = npz.toString().substring(0, npz.toString().length() - ".npz".length());
            JsonNode index = new ObjectMapper().readTree(Path.of(base + ".json").toFile());
            Map<String, Npy.Array> all = Npy.readArchive(npz);
            List<Image> out = new ArrayList<>();
            for (JsonNode img : index.get("images")) {
                String prefix = img.get("prefix").asText();
                Map<String, Npy.Array> arrays = new java.util.HashMap<>();
                all.forEach((k, v) -> {
                    if (k.startsWith(prefix)) arrays.put(k.substring(prefix.length()), v);
                });
                out.add(new Image(locate(img.get("image").asText()), arrays));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The image as given (relative to the project root), or its committed copy. */
    static Path locate(String given) {
        Path p = Path.of(given);
        if (Files.isRegularFile(p)) return p;
        Path copy = SHARED_COPIES.resolve(p.getFileName());
        if (Files.isRegularFile(copy)) return copy;
        throw new IllegalStateException("reference image " + given + " not found");
    }
}
