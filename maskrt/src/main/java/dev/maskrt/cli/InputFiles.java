package dev.maskrt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The inputs named by {@code --images}: files as named (tried even when missing or not regular files, so that they
 * fail and are reported), folders expanded to their entries with an image extension (sorted by name; entries that are
 * not regular files are kept too, and refused by type when read). The same file named twice (the same real path,
 * e.g. {@code dir/./a.png} and {@code dir/a.png}) is kept once, where first named. Ids by {@link OutputIds}.
 */
final class InputFiles {
    /** The image file extensions the commands look for (lower case, without the dot), in lookup order. */
    static final List<String> IMAGE_EXTENSIONS = List.of("png", "tif", "tiff", "jpg", "jpeg", "bmp");

    private InputFiles() {}

    /**
     * @param warnings gets one line per named folder without image files
     * @return the inputs in order, deduplicated, with their ids; empty when nothing was found
     * @throws IOException when a named folder cannot be listed
     */
    static List<InputImage> collect(List<Path> named, PrintWriter warnings) throws IOException {
        Map<Path, Path> byRealPath = new LinkedHashMap<>();
        for (Path p : named) {
            if (Files.isDirectory(p)) {
                List<Path> found;
                try (Stream<Path> s = Files.list(p)) {
                    found = s.filter(f -> IMAGE_EXTENSIONS.contains(extension(f))).sorted().toList();
                }
                if (found.isEmpty()) warnings.println("maskrt: warning: --images " + p + ": a folder with no image files");
                for (Path f : found) byRealPath.putIfAbsent(realPath(f), f);
            } else {
                byRealPath.putIfAbsent(realPath(p), p);
            }
        }
        List<Path> files = new ArrayList<>(byRealPath.values());
        List<String> ids = OutputIds.stems(files), fileIds = OutputIds.fileNames(files);
        List<InputImage> out = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) out.add(new InputImage(files.get(i), ids.get(i), fileIds.get(i)));
        return out;
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException missing) {
            return p.toAbsolutePath().normalize();
        }
    }

    static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
