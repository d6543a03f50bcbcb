package dev.maskrt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the final output files of a predict run from its journal, in input order: {@code coco_results.json} (the
 * images' COCO record texts joined by commas inside one array), {@code submission_FORMAT.csv} (the header, then each
 * image's rows) and {@code coco_image_ids.json} for sequential ids. Each file is written as {@code .NAME.partial},
 * forced to disk and renamed over {@code NAME}, so a file with a final name is always complete.
 */
final class FinalOutputs {
    /** What the outputs hold. */
    record Totals(int images, long instances) {}

    private FinalOutputs() {}

    /**
     * @param headers the header line (with its line end) of each Kaggle format, by format
     * @param sequentialIds COCO image ids by path when they are 1..N (written to coco_image_ids.json), else null
     * @throws IOException when a file cannot be written; files already renamed stay complete
     */
    static Totals write(Path out, List<InputImage> inputs, PredictJournal journal, boolean coco,
                        Map<PredictCommand.Format, String> headers, Map<String, Long> sequentialIds) throws IOException {
        return write(out, inputs, journal, coco, headers, sequentialIds, false, false);
    }

    /** maskrcnn-benchmark's COCO files ({@code coco_eval.py} {@code evaluate_predictions_on_coco}: iou type + ".json"). */
    static final String BBOX_JSON = "bbox.json", SEGM_JSON = "segm.json";

    /**
     * @param cocoEvalFiles also write {@code bbox.json} (and, with {@code masks}, {@code segm.json}): the records of
     *     maskrcnn-benchmark's {@code prepare_for_coco_detection} ({@code image_id, category_id, bbox, score}) and
     *     {@code prepare_for_coco_segmentation} ({@code image_id, category_id, segmentation, score}), in the same
     *     image and instance order ({@code maskrcnn_benchmark/data/datasets/evaluation/coco/coco_eval.py}:70-154)
     */
    static Totals write(Path out, List<InputImage> inputs, PredictJournal journal, boolean coco,
                        Map<PredictCommand.Format, String> headers, Map<String, Long> sequentialIds,
                        boolean cocoEvalFiles, boolean masks) throws IOException {
        Iterator<ImageRecord> records = inputs.stream().filter(in -> journal.isDone(in.id())).map(in -> {
            try {
                return journal.read(in.id());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).iterator();
        return write(out, records, coco, headers, sequentialIds, cocoEvalFiles, masks);
    }

    /**
     * Writes the final files from finished images given in input order.
     *
     * @param records the finished images, in input order (failed ones left out)
     * @param headers the header line (with its line end) of each Kaggle format, by format
     * @param sequentialIds COCO image ids by path when they are 1..N (written to coco_image_ids.json), else null
     * @param cocoEvalFiles also write maskrcnn-benchmark's {@code bbox.json} (and {@code segm.json} with {@code masks})
     * @throws IOException when a file cannot be written; files already renamed stay complete
     */
    static Totals write(Path out, Iterator<ImageRecord> records, boolean coco,
                        Map<PredictCommand.Format, String> headers, Map<String, Long> sequentialIds,
                        boolean cocoEvalFiles, boolean masks) throws IOException {
        Map<String, Path> targets = new LinkedHashMap<>();
        if (coco) targets.put("coco", out.resolve("coco_results.json"));
        boolean bbox = coco && cocoEvalFiles, segm = bbox && masks;
        if (bbox) targets.put("bbox", out.resolve(BBOX_JSON));
        if (segm) targets.put("segm", out.resolve(SEGM_JSON));
        headers.keySet().forEach(f -> targets.put(f.name(), out.resolve("submission_" + f + ".csv")));
        Map<String, Path> partials = new LinkedHashMap<>();
        Map<String, FileChannel> channels = new LinkedHashMap<>();
        Map<String, OutputStream> streams = new LinkedHashMap<>();
        int images = 0;
        long instances = 0;
        try {
            for (Map.Entry<String, Path> t : targets.entrySet()) {
                Path tmp = t.getValue().resolveSibling("." + t.getValue().getFileName() + ".partial");
                partials.put(t.getKey(), tmp);
                FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                channels.put(t.getKey(), c);
                streams.put(t.getKey(), new BufferedOutputStream(Channels.newOutputStream(c), 1 << 16));
            }
            if (coco) streams.get("coco").write('[');
            if (bbox) streams.get("bbox").write('[');
            if (segm) streams.get("segm").write('[');
            boolean firstEval = true;
            headers.forEach((f, h) -> write(streams.get(f.name()), h));
            boolean firstCoco = true;
            while (records.hasNext()) {
                ImageRecord r = records.next();
                images++;
                instances += r.instances();
                if (coco && r.coco() != null && !r.coco().isEmpty()) {
                    if (!firstCoco) streams.get("coco").write(',');
                    write(streams.get("coco"), r.coco());
                    firstCoco = false;
                    if (bbox) {
                        String[] split = cocoEvalRecords(r.coco());
                        if (!firstEval) streams.get("bbox").write(',');
                        write(streams.get("bbox"), split[0]);
                        if (segm) {
                            if (!firstEval) streams.get("segm").write(',');
                            write(streams.get("segm"), split[1]);
                        }
                        firstEval = false;
                    }
                }
                for (PredictCommand.Format f : headers.keySet()) {
                    write(streams.get(f.name()), r.rows().getOrDefault(f.name(), ""));
                }
            }
            if (coco) streams.get("coco").write(']');
            if (bbox) streams.get("bbox").write(']');
            if (segm) streams.get("segm").write(']');
            for (String k : targets.keySet()) {
                streams.get(k).flush();
                channels.get(k).force(true);
                channels.get(k).close();
            }
        } catch (IOException | RuntimeException e) {
            for (FileChannel c : channels.values()) closeQuietly(c);
            for (Path p : partials.values()) Files.deleteIfExists(p);
            throw unwrap(e);
        }
        for (Map.Entry<String, Path> t : targets.entrySet()) OutputDir.move(partials.get(t.getKey()), t.getValue());
        if (sequentialIds != null) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode map = json.createObjectNode();
            sequentialIds.forEach(map::put);
            OutputDir.writeAtomically(out.resolve("coco_image_ids.json"),
                    o -> json.writerWithDefaultPrettyPrinter().writeValue(new NonClosing(o), map));
        }
        return new Totals(images, instances);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One image's COCO records (the text inside coco_results.json's array) as maskrcnn-benchmark's bbox.json and
     * segm.json records, same order: {@code {image_id, category_id, bbox, score}} and
     * {@code {image_id, category_id, segmentation, score}}.
     */
    static String[] cocoEvalRecords(String records) throws IOException {
        com.fasterxml.jackson.databind.JsonNode all = JSON.readTree("[" + records + "]");
        StringBuilder bbox = new StringBuilder(), segm = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonNode r : all) {
            ObjectNode b = JSON.createObjectNode();
            b.set("image_id", r.get("image_id"));
            b.set("category_id", r.get("category_id"));
            b.set("bbox", r.get("bbox"));
            b.set("score", r.get("score"));
            if (bbox.length() > 0) bbox.append(',');
            bbox.append(JSON.writeValueAsString(b));
            if (r.has("segmentation")) {
                ObjectNode s = JSON.createObjectNode();
                s.set("image_id", r.get("image_id"));
                s.set("category_id", r.get("category_id"));
                s.set("segmentation", r.get("segmentation"));
                s.set("score", r.get("score"));
                if (segm.length() > 0) segm.append(',');
                segm.append(JSON.writeValueAsString(s));
            }
        }
        return new String[] {bbox.toString(), segm.toString()};
    }

    private static void write(OutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static IOException unwrap(Exception e) {
        if (e instanceof java.io.UncheckedIOException u) return u.getCause();
        if (e instanceof IOException io) return io;
        throw (RuntimeException) e;
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    /** Jackson closes the stream it writes to; the atomic writer must close it itself. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
