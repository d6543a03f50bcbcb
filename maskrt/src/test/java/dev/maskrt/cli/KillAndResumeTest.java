package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.model.TinyPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: {@code maskrt predict} in a child JVM, killed ({@code destroyForcibly}, SIGKILL) after its journal shows
 * 1 and then 3 finished images, resumed with {@code --resume} each time, ends with outputs byte-identical to an
 * uninterrupted run; a killed run leaves no final file that looks complete.
 */
class KillAndResumeTest {
    static final Path IMAGES = TinyPackages.TINY.resolve("reference/images");
    static final int COUNT = 8;

    @TempDir Path dir;

    @Test
    void killedTwiceAndResumedEqualsAnUninterruptedRun() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        List<Path> sources = List.of(IMAGES.resolve("synthetic-rgb-120x160.png"),
                IMAGES.resolve("synthetic-gray-90x300.png"), Path.of("src/test/resources/image/sartorius-0030fd0e6378.png"));
        for (int i = 0; i < COUNT; i++) Files.copy(sources.get(i % sources.size()), images.resolve("img" + i + ".png"));

        Path reference = dir.resolve("reference");
        MainTest.Run uninterrupted = MainTest.run(args(images, reference).toArray(new String[0]));
        assertEquals(0, uninterrupted.status(), uninterrupted.err());

        Path out = dir.resolve("out");
        List<Integer> killedAt = new ArrayList<>();
        killedAt.add(runAndKill(args(images, out), out, 1));
        assertNoFinalFiles(out);
        // a line cut by the kill (simulated in case the kill fell between lines): dropped on resume
        Files.writeString(out.resolve(PredictJournal.FILE_NAME), "{\"id\":\"img7\",\"pa", StandardOpenOption.APPEND);
        List<String> resume = new ArrayList<>(args(images, out));
        resume.add("--resume");
        killedAt.add(runAndKill(resume, out, 3));
        assertTrue(killedAt.stream().anyMatch(n -> n < COUNT), "no kill fell before the end: " + killedAt);
        System.out.println("KillAndResumeTest: killed with " + killedAt + " of " + COUNT + " images in the journal");

        Process last = start(resume, out);
        assertTrue(last.waitFor(60, TimeUnit.SECONDS), "the resumed run finishes");
        assertEquals(0, last.exitValue(), Files.readString(out.resolve("stderr.txt")));
        String stdout = Files.readString(out.resolve("stdout.txt"));
        assertTrue(stdout.contains(COUNT + " images done"), stdout);
        assertFalse(Files.exists(out.resolve(PredictJournal.FILE_NAME)), "the journal is gone after a complete run");

        TreeMap<String, byte[]> expected = outputs(reference), got = outputs(out);
        assertEquals(expected.keySet(), got.keySet());
        for (String name : expected.keySet()) assertArrayEquals(expected.get(name), got.get(name), name);
        try (Stream<Path> s = Files.list(Path.of("."))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("hs_err_pid")), "no JVM crash log");
        }
    }

    private List<String> args(Path images, Path out) {
        return new ArrayList<>(List.of("predict", "--model", TinyPackages.TINY.toString(), "--images",
                images.toString(), "--out", out.toString(), "--format", "coco,sartorius,dsb,airbus", "--overlays",
                "--threads", "1"));
    }

    /** Starts the run, kills it once its journal shows at least {@code images} finished; returns how many it showed. */
    private int runAndKill(List<String> args, Path out, int images) throws Exception {
        Process p = start(args, out);
        Path journal = out.resolve(PredictJournal.FILE_NAME);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int done = 0;
        while (p.isAlive() && System.nanoTime() < deadline) {
            done = finished(journal);
            if (done >= images) break;
            Thread.sleep(2);
        }
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String err = Files.readString(out.resolve("stderr.txt"));
        assertFalse(err.contains("A fatal error has been detected"), err);
        assertTrue(done >= images || p.exitValue() == 0, "the run ended early: " + err);
        return done;
    }

    private Process start(List<String> args, Path out) throws IOException {
        Files.createDirectories(out);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), "dev.maskrt.cli.Main"));
        command.addAll(args);
        // stdout/stderr of the child go next to its outputs, in names maskrt does not treat as its own
        return new ProcessBuilder(command).redirectOutput(out.resolve("stdout.txt").toFile())
                .redirectError(out.resolve("stderr.txt").toFile()).start();
    }

    /** Complete image lines in the journal (the header excluded). */
    private static int finished(Path journal) {
        try {
            byte[] b = Files.readAllBytes(journal);
            int lines = 0;
            for (byte x : b) if (x == '\n') lines++;
            return Math.max(0, lines - 1);
        } catch (IOException notYet) {
            return 0;
        }
    }

    private static void assertNoFinalFiles(Path out) throws IOException {
        for (String name : OutputDir.outputsIn(out)) {
            assertTrue(name.equals(PredictJournal.FILE_NAME) || name.equals(OutputDir.OVERLAYS)
                    || name.endsWith(".partial"), "a killed run left " + name);
        }
    }

    /** Every output file by relative name (the child's stdout/stderr left out). */
    private static TreeMap<String, byte[]> outputs(Path out) throws IOException {
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(out)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String name = out.relativize(p).toString();
                if (!name.equals("stdout.txt") && !name.equals("stderr.txt")) files.put(name, Files.readAllBytes(p));
            }
        }
        return files;
    }
}
