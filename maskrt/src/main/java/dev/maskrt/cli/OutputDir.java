package dev.maskrt.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --out} folder of {@code maskrt predict}: what counts as maskrt's outputs in it, clearing them for
 * {@code --overwrite}, and atomic writes (a temporary {@code .NAME.partial} file, forced to disk, then renamed over
 * {@code NAME}), so that a crash leaves either the old file or the complete new one, never a cut one.
 */
final class OutputDir {
    static final String OVERLAYS = "overlays";
    private static final String PARTIAL = ".partial";

    private OutputDir() {}

    /** Whether a file name in {@code --out} is one of maskrt predict's outputs. */
    static boolean isOutput(String name) {
        return name.equals("coco_results.json") || name.equals("coco_image_ids.json")
                || name.equals(FinalOutputs.BBOX_JSON) || name.equals(FinalOutputs.SEGM_JSON)
                || (name.startsWith("submission_") && name.endsWith(".csv")) || name.equals(OVERLAYS)
                || name.equals(PredictJournal.FILE_NAME) || name.endsWith(PARTIAL);
    }

    /** maskrt's outputs present in {@code dir} (names, sorted). */
    static List<String> outputsIn(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) return found;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) if (isOutput(p.getFileName().toString())) found.add(p.getFileName().toString());
        }
        found.sort(null);
        return found;
    }

    /** Deletes maskrt's outputs in {@code dir}: its files, and the PNGs in {@code overlays/}. */
    static void clear(Path dir) throws IOException {
        for (String name : outputsIn(dir)) {
            Path p = dir.resolve(name);
            if (name.equals(OVERLAYS) && Files.isDirectory(p)) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(p, "*.png")) {
                    for (Path png : s) Files.deleteIfExists(png);
                }
            } else if (!Files.isDirectory(p)) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Deletes temporary files left by an interrupted atomic write, in {@code dir}. */
    static void clearPartials(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + PARTIAL)) {
            for (Path p : s) Files.deleteIfExists(p);
        }
    }

    /** Something that writes a file's content. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} atomically: the content goes to {@code .NAME.partial} next to it, is forced to disk, and the
     * file is then renamed over {@code target}.
     *
     * @throws IOException when writing or renaming fails (the temporary file is then deleted)
     */
    static void writeAtomically(Path target, Content content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + PARTIAL);
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = Channels.newOutputStream(channel);
            java.io.BufferedOutputStream buffered = new java.io.BufferedOutputStream(out, 1 << 16);
            content.writeTo(buffered);
            buffered.flush();
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        move(tmp, target);
    }

    /** Renames {@code from} over {@code to}, atomically where the file system can. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (java.nio.file.AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
