package dev.maskrt.cli;

import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** What the TensorRT commands share: the availability gate and image listing. */
final class TensorRtCommands {
    /** Exit status when TensorRT cannot run here (as for usage errors). */
    static final int EXIT_UNAVAILABLE = 2;

    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "tif", "tiff", "bmp");

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
                    s.filter(f -> Files.isRegularFile(f) && IMAGE_EXTENSIONS.contains(extension(f))).sorted()
                            .forEach(out::add);
                }
            } else {
                if (!Files.isRegularFile(p)) throw new java.nio.file.NoSuchFileException(p.toString());
                out.add(p);
            }
        }
        return out;
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
