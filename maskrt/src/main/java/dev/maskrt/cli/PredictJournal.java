package dev.maskrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.error.InputFormatException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The journal of a {@code maskrt predict} run, {@code OUT/predict-journal.jsonl}: JSON Lines, first the run's header
 * (settings and inputs, {@link #header()}), then one {@link ImageRecord} per finished image, each written whole and
 * forced to disk before the next image starts. A line cut by a crash (no line end) is dropped when the journal is
 * reopened, so what is in the journal is exactly what was durably finished. Not thread-safe.
 */
final class PredictJournal implements Closeable {
    static final String FILE_NAME = "predict-journal.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final JsonNode header;
    /** Offset and length (without the line end) of each finished image's line, by id. */
    private final Map<String, long[]> done = new LinkedHashMap<>();

    private PredictJournal(Path file, FileChannel channel, JsonNode header) {
        this.file = file;
        this.channel = channel;
        this.header = header;
    }

    /**
     * Starts a new journal in {@code dir} (replacing any) with {@code header} as its first line.
     *
     * @throws IOException when the file cannot be written
     */
    static PredictJournal create(Path dir, JsonNode header) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        PredictJournal j = new PredictJournal(file, channel, header);
        try {
            j.writeLine(JSON.writeValueAsString(header));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return j;
    }

    /**
     * Reopens the journal in {@code dir} to continue its run: reads the header and the finished images, and cuts off
     * a last line left incomplete by a crash.
     *
     * @throws InputFormatException naming the file and line when a complete line is not valid
     * @throws IOException when the file cannot be read or written
     */
    static PredictJournal reopen(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            JsonNode header = null;
            Map<String, long[]> done = new LinkedHashMap<>();
            long offset = 0, complete = 0;
            int lineNumber = 0;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                int b;
                while ((b = in.read()) >= 0) {
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    lineNumber++;
                    String text = line.toString(StandardCharsets.UTF_8);
                    String where = file + ": line " + lineNumber;
                    if (header == null) {
                        header = parseHeader(text, where);
                    } else {
                        ImageRecord r = ImageRecord.parse(text, where);
                        done.put(r.id(), new long[] {offset, line.size()});
                    }
                    offset += line.size() + 1;
                    complete = offset;
                    line.reset();
                }
            }
            if (header == null) throw new InputFormatException(file + ": no complete header line (cut off by a crash?)");
            channel.truncate(complete); // drop a line cut by a crash
            channel.position(complete);
            PredictJournal j = new PredictJournal(file, channel, header);
            j.done.putAll(done);
            return j;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static JsonNode parseHeader(String text, String where) {
        try {
            JsonNode h = JSON.readTree(text);
            if (h != null && h.path("maskrt_predict_journal").asInt() == 1) return h;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InputFormatException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        throw new InputFormatException(where + ": not a maskrt predict journal header");
    }

    /** The header: {@code {"maskrt_predict_journal": 1, "settings": {...}, "inputs": [...]}}. */
    JsonNode header() {
        return header;
    }

    Path file() {
        return file;
    }

    boolean isDone(String id) {
        return done.containsKey(id);
    }

    int doneCount() {
        return done.size();
    }

    /** Appends a finished image and forces it to disk. */
    void append(ImageRecord record) throws IOException {
        long offset = channel.position();
        String line = record.toJsonLine();
        writeLine(line);
        done.put(record.id(), new long[] {offset, channel.position() - offset - 1});
    }

    /**
     * The finished image {@code id}, read back from the file.
     *
     * @throws IllegalArgumentException when {@code id} is not finished
     */
    ImageRecord read(String id) throws IOException {
        long[] at = done.get(id);
        if (at == null) throw new IllegalArgumentException("image '" + id + "' is not in " + file);
        if (at[1] > Integer.MAX_VALUE - 8) throw new InputFormatException(file + ": line of image '" + id + "' too long");
        ByteBuffer buffer = ByteBuffer.allocate((int) at[1]);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, at[0] + buffer.position()) < 0) {
                throw new InputFormatException(file + ": ends inside the line of image '" + id + "'");
            }
        }
        return ImageRecord.parse(new String(buffer.array(), StandardCharsets.UTF_8), file + ": image '" + id + "'");
    }

    private void writeLine(String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) channel.write(bytes);
        channel.force(false);
    }

    /** Closes and deletes the journal (when the run is complete). */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(file);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
