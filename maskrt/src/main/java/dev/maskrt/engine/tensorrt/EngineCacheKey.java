package dev.maskrt.engine.tensorrt;

import dev.maskrt.config.Precision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a serialised TensorRT plan depends on: a plan is reused only when all fields are equal. Immutable.
 *
 * @param gpuName            the device name (plans are specific to a GPU model)
 * @param computeCapability  e.g. {@code "9.0"}
 * @param tensorRtVersion    e.g. {@code "10.15.0"} (plans do not load across TensorRT versions)
 * @param precision          {@code fp32} / {@code fp16}
 * @param profile            the graph's optimisation profile, {@link GraphProfile#canonicalText()}
 * @param workspaceBytes     the workspace limit the plan was built with
 * @param graphSha256        SHA-256 of the ONNX graph file, lower-case hex
 */
public record EngineCacheKey(String gpuName, String computeCapability, String tensorRtVersion, String precision,
        String profile, long workspaceBytes, String graphSha256) {
    public EngineCacheKey {
        for (Object o : new Object[] {gpuName, computeCapability, tensorRtVersion, precision, profile, graphSha256}) {
            if (o == null) throw new IllegalArgumentException("EngineCacheKey fields must not be null");
        }
    }

    /** The key of {@code graph} built on {@code gpu} with TensorRT {@code tensorRtVersion}. */
    public static EngineCacheKey of(Path graph, GpuDevice gpu, String tensorRtVersion, Precision precision,
            GraphProfile profile, long workspaceBytes) throws IOException {
        return new EngineCacheKey(gpu.name(), gpu.computeCapability(), tensorRtVersion, precision.id(),
                profile.canonicalText(), workspaceBytes, sha256(graph));
    }

    /** The fields by name, in a fixed order (what the cache stores next to a plan). */
    public Map<String, String> fields() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("gpu_name", gpuName);
        m.put("compute_capability", computeCapability);
        m.put("tensorrt_version", tensorRtVersion);
        m.put("precision", precision);
        m.put("profile", profile);
        m.put("workspace_bytes", Long.toString(workspaceBytes));
        m.put("graph_sha256", graphSha256);
        return m;
    }

    /** The inverse of {@link #fields()}. @throws IllegalArgumentException naming a missing or bad field */
    public static EngineCacheKey fromFields(Map<String, String> f) {
        String[] names = {"gpu_name", "compute_capability", "tensorrt_version", "precision", "profile",
            "workspace_bytes", "graph_sha256"};
        for (String n : names) if (f.get(n) == null) throw new IllegalArgumentException("field '" + n + "' is missing");
        long workspace;
        try {
            workspace = Long.parseLong(f.get("workspace_bytes"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("field 'workspace_bytes' is not a number: " + f.get("workspace_bytes"));
        }
        return new EngineCacheKey(f.get("gpu_name"), f.get("compute_capability"), f.get("tensorrt_version"),
                f.get("precision"), f.get("profile"), workspace, f.get("graph_sha256"));
    }

    /** SHA-256 over every field, lower-case hex: equal keys give equal digests. */
    public String digest() {
        StringBuilder sb = new StringBuilder();
        fields().forEach((k, v) -> sb.append(k).append('=').append(v.replace("\n", " ")).append('\n'));
        return HexFormat.of().formatHex(sha256(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** What differs from {@code previous}, e.g. {@code "precision fp32 -> fp16, graph changed"}; empty when equal. */
    public String differencesFrom(EngineCacheKey previous) {
        List<String> out = new ArrayList<>();
        Map<String, String> now = fields();
        Map<String, String> before = previous.fields();
        for (Map.Entry<String, String> e : now.entrySet()) {
            String old = before.get(e.getKey());
            if (e.getValue().equals(old)) continue;
            switch (e.getKey()) {
                case "graph_sha256" -> out.add("graph file changed");
                case "profile" -> out.add("optimisation profile changed (" + old + " -> " + e.getValue() + ")");
                default -> out.add(e.getKey().replace('_', ' ') + " " + old + " -> " + e.getValue());
            }
        }
        return String.join(", ", out);
    }

    /** SHA-256 of a file's bytes, lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static byte[] sha256(byte[] bytes) {
        return newDigest().digest(bytes);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
