package dev.maskrt.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The committed tiny package, and copies of it with hand-edited manifests. */
public final class TinyPackages {
    public static final Path TINY = Path.of("src/test/resources/models/tiny");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyPackages() {}

    public static ModelManifest tiny() {
        return ModelPackage.readManifest(TINY);
    }

    /** A copy of the tiny package in {@code dir} with its manifest changed by {@code edit}. */
    public static Path edited(Path dir, Consumer<ObjectNode> edit) throws IOException {
        return edited(TINY, dir, edit);
    }

    /** A copy of package {@code from} in {@code dir} with its manifest changed by {@code edit}. */
    public static Path edited(Path from, Path dir, Consumer<ObjectNode> edit) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        ObjectNode root = (ObjectNode) JSON.readTree(dir.resolve("manifest.json").toFile());
        edit.accept(root);
        JSON.writeValue(dir.resolve("manifest.json").toFile(), root);
        return dir;
    }

    public static ObjectNode at(ObjectNode root, String... path) {
        ObjectNode n = root;
        for (String p : path) n = (ObjectNode) n.get(p);
        return n;
    }
}
