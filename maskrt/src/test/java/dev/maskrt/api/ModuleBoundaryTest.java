package dev.maskrt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.io.PrintWriter;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module boundary as an embedding application sees it: javac compiles a client module that {@code requires
 * dev.maskrt} against the built classes. The API packages are visible; an internal package is not.
 */
class ModuleBoundaryTest {
    static final Set<String> API = Set.of("dev.maskrt", "dev.maskrt.config", "dev.maskrt.error", "dev.maskrt.output",
            "dev.maskrt.eval");

    @Test
    void exportsExactlyTheApiPackages() throws Exception {
        ModuleDescriptor d;
        try (var in = Files.newInputStream(Path.of("target/classes/module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        assertEquals("dev.maskrt", d.name());
        Set<String> exported = d.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(API), exported);
    }

    @Test
    void aClientSeesTheApiAndNotTheInternals(@TempDir Path dir) throws Exception {
        // a client using the documented API compiles ...
        Result ok = compile(dir.resolve("ok"), """
                package client;
                import dev.maskrt.Predictor;
                import dev.maskrt.Prediction;
                import dev.maskrt.ImageInput;
                import dev.maskrt.PredictorOptions;
                import dev.maskrt.config.Backend;
                import dev.maskrt.error.MaskrtException;
                import dev.maskrt.output.CocoRle;
                import dev.maskrt.output.Instance;
                import dev.maskrt.eval.SartoriusMetric;
                import java.nio.file.Path;
                public class Api {
                    static int count(Path model, Path image) {
                        try (Predictor p = Predictor.open(model, PredictorOptions.builder().backend(Backend.CPU).build())) {
                            int n = 0;
                            for (Instance i : p.predict(ImageInput.of(image))) n += CocoRle.encode(i.mask()).area() > 0 ? 1 : 0;
                            return n;
                        } catch (MaskrtException e) {
                            return -1;
                        }
                    }
                }
                """);
        assertEquals(0, ok.status, ok.diagnostics);
        // ... and one reaching into an internal package does not
        for (String internal : List.of("dev.maskrt.cascade.CascadePipeline", "dev.maskrt.ops.cpu.CpuNms",
                "dev.maskrt.ops.cuda.CudaNative", "dev.maskrt.util.Workers", "dev.maskrt.model.ModelPackage")) {
            Result bad = compile(dir.resolve(internal), "package client;\nimport " + internal + ";\npublic class Api {}\n");
            assertEquals(1, bad.status, internal + " must not be reachable");
            String pkg = internal.substring(0, internal.lastIndexOf('.'));
            assertTrue(bad.diagnostics.contains("package " + pkg + " is not visible")
                    || bad.diagnostics.contains("package " + pkg + " is declared in module dev.maskrt, which does not export it"),
                    bad.diagnostics);
        }
    }

    record Result(int status, String diagnostics) {}

    private static Result compile(Path dir, String source) throws Exception {
        Path src = dir.resolve("src/client");
        Files.createDirectories(src);
        Files.writeString(dir.resolve("src/module-info.java"), "module client { requires dev.maskrt; }\n");
        Files.writeString(src.resolve("Api.java"), source);
        List<String> modulePath = new ArrayList<>();
        modulePath.add(Path.of("target/classes").toAbsolutePath().toString());
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            // the API's dependencies; the optional GPU presets stay off (their descriptors cannot be read)
            if (entry.endsWith(".jar") && !entry.contains("tensorrt") && !entry.contains("junit")
                    && !entry.contains("opentest4j") && !entry.contains("apiguardian")) {
                modulePath.add(entry);
            }
        }
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        StringWriter out = new StringWriter();
        PrintWriter writer = new PrintWriter(out);
        int status = javac.run(writer, writer, "-d", dir.resolve("out").toString(), "--module-path",
                String.join(File.pathSeparator, modulePath), dir.resolve("src/module-info.java").toString(),
                src.resolve("Api.java").toString());
        writer.flush();
        return new Result(status, out.toString());
    }
}
