package dev.maskrt.cli;

import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What the TensorRT commands share: the availability gate and image listing. */
final class TensorRtCommands {
    /** Exit status when TensorRT cannot run here (as for usage errors). */
    static final int EXIT_UNAVAILABLE = 2;

    private TensorRtCommands() {}

    /** Prints the one-line reason and returns false when TensorRT cannot run. */
    static boolean available(TensorRtAvailability a, PrintWriter err) {
        if (a.isAvailable()) return true;
        err.println("maskrt: " + a.reason());
        err.flush();
        return false;
    }

    /** Image files: the files given, and every image file directly inside each directory given, sorted by name. */
    static List<Path> images(List<Path> paths) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> Files.isRegularFile(f) && InputFiles.IMAGE_EXTENSIONS.contains(InputFiles.extension(f))).sorted()
                            .forEach(out::add);
                }
            } else {
                if (!Files.isRegularFile(p)) throw new java.nio.file.NoSuchFileException(p.toString());
                out.add(p);
            }
        }
        return out;
    }
}
