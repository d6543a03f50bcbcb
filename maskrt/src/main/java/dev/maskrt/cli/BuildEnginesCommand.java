package dev.maskrt.cli;

import dev.maskrt.config.Precision;
import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import dev.maskrt.engine.tensorrt.TensorRtEngines;
import dev.maskrt.config.TensorRtOptions;
import dev.maskrt.engine.GraphDeclaration;
import dev.maskrt.model.ModelManifest;
import dev.maskrt.model.ModelPackage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code maskrt build-engines}: builds (or confirms in the cache) the TensorRT plan of every graph of a package ahead
 * of time, one line per graph. Without a usable GPU/TensorRT it prints the one-line reason and exits 2.
 */
@Command(name = "build-engines", mixinStandardHelpOptions = true,
        description = {"Build the TensorRT engines of a model package ahead of time (needs an NVIDIA GPU).",
            "maskrt build-engines --model DIR [--fp16] [--cache DIR] [--batch N]",
            "Exit status: 0 built, 2 usage or model package error or no usable GPU/TensorRT."})
final class BuildEnginesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model package directory.")
    Path model;

    @Option(names = "--fp16", description = "Build FP16 engines (default FP32).")
    boolean fp16;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Engine cache directory (default: DIR/engines, or ~/.cache/maskrt/engines/... if DIR is read-only).")
    Path cache;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "Batch size to plan for (default 1).")
    int batch;

    @Option(names = "--workspace-mb", defaultValue = "2048", paramLabel = "MB", description = "TensorRT workspace limit.")
    long workspaceMb;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Supplier<TensorRtAvailability> availability;

    BuildEnginesCommand() {
        this(TensorRtAvailability::probe);
    }

    BuildEnginesCommand(Supplier<TensorRtAvailability> availability) {
        this.availability = availability;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        TensorRtAvailability a = availability.get();
        if (!TensorRtCommands.available(a, spec.commandLine().getErr())) return TensorRtCommands.EXIT_UNAVAILABLE;
        ModelManifest manifest = ModelPackage.readManifest(model);
        TensorRtOptions options = TensorRtOptions.builder().precision(fp16 ? Precision.FP16 : Precision.FP32)
                .batchSize(batch).cacheDirectory(cache).workspaceBytes(workspaceMb << 20).build();
        try (TensorRtEngines engines = TensorRtEngines.create(a, options)) {
            out.println("maskrt: " + a);
            for (GraphDeclaration g : manifest.graphs()) {
                long t0 = System.nanoTime();
                Path plan = engines.build(model, g, manifest.engineView());
                out.printf(Locale.ROOT, "%s: %s (%.1f s)%n", g.file(), plan, (System.nanoTime() - t0) / 1e9);
                out.flush();
            }
        }
        return 0;
    }
}
