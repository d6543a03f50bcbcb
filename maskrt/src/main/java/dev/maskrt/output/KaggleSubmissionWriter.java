package dev.maskrt.output;

import java.io.Closeable;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Streams a Kaggle submission CSV, one image at a time: the header when created, then for each image its
 * instances made disjoint in descending score order ({@link NonOverlappingMasks}, instances under
 * {@code minPixels} dropped), one row {@code id,RLE} per kept instance in that order, or one row {@code id,}
 * when none is kept. Lines end with {@code \n}.
 *
 * <p>Not thread-safe: one writer per output file, fed from one thread. Closing closes the underlying writer.
 */
public final class KaggleSubmissionWriter implements Closeable {
    private final Writer out;
    private final SubmissionFormat format;
    private final int minPixels;
    private final NonOverlappingMasks overlaps = new NonOverlappingMasks();
    private long rows;

    /**
     * @param out where the CSV goes (the header is written at once)
     * @param format the competition's format
     * @param minPixels instances with fewer pixels left after overlap removal are dropped (values below 1 act as 1)
     * @throws IOException when the CSV cannot be written
     */
    public KaggleSubmissionWriter(Writer out, SubmissionFormat format, int minPixels) throws IOException {
        this.out = Objects.requireNonNull(out, "out");
        this.format = Objects.requireNonNull(format, "format");
        this.minPixels = minPixels;
        out.write(format.header());
        out.write('\n');
    }

    /**
     * A writer to a new UTF-8 file (replaced if it exists).
     *
     * @param file the CSV file
     * @param format the competition's format
     * @param minPixels as in the constructor
     * @return the writer (close it to flush the file)
     * @throws IOException when the file cannot be created
     */
    public static KaggleSubmissionWriter open(Path file, SubmissionFormat format, int minPixels) throws IOException {
        return new KaggleSubmissionWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), format, minPixels);
    }

    /**
     * A Sartorius writer ({@code id,predicted}, row-major).
     *
     * @param out where the CSV goes
     * @param minPixels as in the constructor
     * @return the writer
     * @throws IOException when the CSV cannot be written
     */
    public static KaggleSubmissionWriter sartorius(Writer out, int minPixels) throws IOException {
        return new KaggleSubmissionWriter(out, SubmissionFormat.SARTORIUS, minPixels);
    }

    /**
     * Writes one image's rows: one per instance left after overlap removal, or one with an empty mask field when
     * none is left.
     *
     * @param image the image's id, size and instances
     * @throws IOException when the CSV cannot be written
     * @return the instances written, in row order, with their trimmed masks
     */
    public List<Instance> write(ImageInstances image) throws IOException {
        Objects.requireNonNull(image, "image");
        List<Instance> kept = overlaps.resolve(image.instances(), image.height(), image.width(), minPixels);
        if (kept.isEmpty()) {
            writeRow(image.imageId(), "");
        }
        for (Instance inst : kept) {
            writeRow(image.imageId(), KaggleRle.encode(inst.mask(), format.order()));
        }
        return kept;
    }

    /**
     * Writes every image in order; see {@link #write(ImageInstances)}.
     *
     * @param images the images
     * @throws IOException when the CSV cannot be written
     */
    public void writeAll(Iterable<ImageInstances> images) throws IOException {
        for (ImageInstances image : images) write(image);
    }

    /** @return rows written so far, header excluded */
    public long rows() {
        return rows;
    }

    /** @return the competition's format */
    public SubmissionFormat format() {
        return format;
    }

    private void writeRow(String id, String rle) throws IOException {
        out.write(id);
        out.write(',');
        out.write(rle);
        out.write('\n');
        rows++;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
