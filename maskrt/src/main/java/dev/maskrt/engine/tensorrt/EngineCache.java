package dev.maskrt.engine.tensorrt;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Serialised TensorRT plans on disk, one per graph, precision and optimisation profile:
 * {@code <graph stem>.<precision>.<profile id>.engine} (the profile id is the first 8 hex digits of the SHA-256 of
 * the profile's text, so e.g. batch-1 and batch-8 plans live side by side) and, next to it,
 * {@code <...>.engine.json} holding the plan's {@link EngineCacheKey} plus the plan's size and SHA-256. {@link #lookup} says whether a plan can be reused and, when not, why (no plan yet, a key field
 * changed, a corrupted plan or key file), so the caller can log the reason and rebuild. Plans are written through a
 * temporary file and an atomic move, so a crash never leaves a half-written plan that looks valid.
 *
 * <p>Thread-safe for lookups; concurrent stores of the same graph end with one complete plan.
 */
public final class EngineCache {
    /** What a {@link #lookup} found. */
    public enum Status {
        /** The plan matches the key and is intact. */
        HIT,
        /** There is no plan for this graph and precision. */
        MISSING,
        /** A plan exists but was built for a different key. */
        STALE,
        /** The plan or its key file is damaged (size or SHA-256 mismatch, unreadable JSON). */
        CORRUPT
    }

    /**
     * The result of {@link #lookup}.
     *
     * @param status what was found
     * @param plan   the plan file (present or not)
     * @param reason one line for the log: why the plan cannot be used (empty on a hit)
     */
    public record Lookup(Status status, Path plan, String reason) {
        public boolean isHit() { return status == Status.HIT; }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;

    /** A cache in {@code directory} (created when the first plan is stored). */
    public EngineCache(Path directory) {
        if (directory == null) throw new IllegalArgumentException("directory must not be null");
        this.directory = directory;
    }

    public Path directory() { return directory; }

    /**
     * The default cache folder for a package: {@code <package>/engines} when the package directory is writable,
     * else {@code $XDG_CACHE_HOME/maskrt/engines/<hash of the package path>} (or {@code ~/.cache/...}).
     */
    public static Path defaultDirectory(Path packageDir) {
        if (packageDir == null) throw new IllegalArgumentException("packageDir must not be null");
        if (Files.isDirectory(packageDir) && Files.isWritable(packageDir)) return packageDir.resolve("engines");
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        String id = HexFormat.of().formatHex(EngineCacheKey.sha256(
                packageDir.toAbsolutePath().normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .substring(0, 16);
        return base.resolve("maskrt").resolve("engines").resolve(id);
    }

    /** The plan file of {@code graphFile} (e.g. {@code box_head_0.onnx}) for {@code key}'s precision and profile. */
    public Path planFile(String graphFile, EngineCacheKey key) {
        if (graphFile == null || graphFile.isEmpty()) throw new IllegalArgumentException("graphFile must not be empty");
        if (key == null) throw new IllegalArgumentException("key must not be null");
        String stem = graphFile.endsWith(".onnx") ? graphFile.substring(0, graphFile.length() - 5) : graphFile;
        String profileId = HexFormat.of().formatHex(EngineCacheKey.sha256(
                key.profile().getBytes(java.nio.charset.StandardCharsets.UTF_8))).substring(0, 8);
        return directory.resolve(stem + "." + key.precision() + "." + profileId + ".engine");
    }

    /** Whether the stored plan of {@code graphFile} can be used for {@code key}, and if not, why. */
    public Lookup lookup(String graphFile, EngineCacheKey key) {
        if (key == null) throw new IllegalArgumentException("key must not be null");
        Path plan = planFile(graphFile, key);
        Path meta = metaFile(plan);
        if (!Files.exists(plan) && !Files.exists(meta)) {
            return new Lookup(Status.MISSING, plan, "no cached plan " + plan + " for this precision and profile");
        }
        if (!Files.isRegularFile(plan)) return new Lookup(Status.CORRUPT, plan, "cached plan " + plan + " is missing its plan file");
        Map<String, String> stored;
        try {
            stored = JSON.readValue(meta.toFile(), new TypeReference<LinkedHashMap<String, String>>() {});
        } catch (IOException e) {
            return new Lookup(Status.CORRUPT, plan, "cached plan key " + meta + " is unreadable ("
                    + firstLine(e.getMessage()) + ")");
        }
        EngineCacheKey previous;
        try {
            previous = EngineCacheKey.fromFields(stored);
        } catch (IllegalArgumentException e) {
            return new Lookup(Status.CORRUPT, plan, "cached plan key " + meta + ": " + e.getMessage());
        }
        String diff = key.differencesFrom(previous);
        if (!diff.isEmpty()) return new Lookup(Status.STALE, plan, "cached plan " + plan + " is stale: " + diff);
        try {
            long size = Files.size(plan);
            if (!Long.toString(size).equals(stored.get("plan_bytes"))) {
                return new Lookup(Status.CORRUPT, plan, "cached plan " + plan + " has " + size + " bytes, "
                        + stored.get("plan_bytes") + " were written");
            }
            if (!EngineCacheKey.sha256(plan).equals(stored.get("plan_sha256"))) {
                return new Lookup(Status.CORRUPT, plan, "cached plan " + plan + " does not match its SHA-256");
            }
        } catch (IOException e) {
            return new Lookup(Status.CORRUPT, plan, "cached plan " + plan + " is unreadable (" + firstLine(e.getMessage()) + ")");
        }
        return new Lookup(Status.HIT, plan, "");
    }

    /** Reads a plan that {@link #lookup} reported as a hit. */
    public byte[] read(Lookup hit) {
        if (hit == null || !hit.isHit()) throw new IllegalArgumentException("hit: not a cache hit");
        try {
            return Files.readAllBytes(hit.plan());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stores {@code plan} for {@code graphFile} under {@code key}, replacing what was there.
     *
     * @return the plan file
     */
    public Path store(String graphFile, EngineCacheKey key, byte[] plan) throws IOException {
        if (key == null) throw new IllegalArgumentException("key must not be null");
        if (plan == null || plan.length == 0) throw new IllegalArgumentException("plan must not be empty");
        Path file = planFile(graphFile, key);
        Files.createDirectories(directory);
        Map<String, String> meta = new LinkedHashMap<>(key.fields());
        meta.put("plan_bytes", Long.toString(plan.length));
        meta.put("plan_sha256", HexFormat.of().formatHex(EngineCacheKey.sha256(plan)));
        // the key file goes last: a plan without a matching key file is never a hit
        Files.deleteIfExists(metaFile(file));
        writeAtomically(file, plan);
        writeAtomically(metaFile(file), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
        return file;
    }

    static Path metaFile(Path plan) {
        return plan.resolveSibling(plan.getFileName() + ".json");
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
