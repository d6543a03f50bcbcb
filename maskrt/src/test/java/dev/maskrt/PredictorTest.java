package dev.maskrt;

import dev.maskrt.error.PredictionFailedException;
import dev.maskrt.error.PredictorClosedException;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.cascade.ParityCheck;
import dev.maskrt.cascade.TinyReference;
import dev.maskrt.model.TinyPackages;
import dev.maskrt.output.Instance;
import dev.maskrt.error.InputFormatException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictorTest {
    static final Path MODEL = TinyReference.PACKAGE;
    static List<TinyReference.Image> refs;
    static Predictor predictor;
    static List<List<Instance>> expected = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        refs = TinyReference.images();
        predictor = Predictor.open(MODEL, PredictorOptions.builder().threads(2).build());
        for (TinyReference.Image ref : refs) expected.add(predictor.predict(ref.file()));
    }

    @AfterAll
    static void close() {
        predictor.close();
    }

    @Test
    void predictionsFromAFileMatchTheReference() {
        for (int i = 0; i < refs.size(); i++) {
            ParityCheck.assertMatches(refs.get(i), expected.get(i), predictor.settings().scoreThreshold());
        }
    }

    @Test
    void bytesMatAndBufferedImageGiveTheSameInstancesAsTheFile() throws IOException {
        for (int i = 0; i < refs.size(); i++) {
            Path file = refs.get(i).file();
            assertEquals(expected.get(i), predictor.predict(ImageInput.of(Files.readAllBytes(file), "bytes")));
            Mat mat = opencv_imgcodecs.imread(file.toString(), opencv_imgcodecs.IMREAD_UNCHANGED);
            try {
                assertEquals(expected.get(i), predictor.predict(ImageInput.of(mat, "mat")), file + " as Mat");
            } finally {
                mat.close();
            }
            if (file.toString().endsWith(".png")) {
                BufferedImage image = ImageIO.read(file.toFile());
                assertEquals(expected.get(i), predictor.predict(ImageInput.of(image, "buffered")), file + " as BufferedImage");
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        for (int threads : new int[] {1, 3}) {
            try (Predictor p = Predictor.open(MODEL, PredictorOptions.builder().threads(threads).build())) {
                for (int i = 0; i < refs.size(); i++) {
                    assertEquals(expected.get(i), p.predict(refs.get(i).file()), threads + " threads, " + refs.get(i).file());
                }
            }
        }
    }

    @Test
    void concurrentPredictCallsOnOnePredictorGiveTheSequentialResults() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Instance>>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (TinyReference.Image ref : refs) futures.add(pool.submit(() -> predictor.predict(ref.file())));
            }
            for (int k = 0; k < futures.size(); k++) {
                assertEquals(expected.get(k % refs.size()), futures.get(k).get(), "call " + k);
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * A 16-bit grey PNG is fed to the model as detectron2's reader (PIL {@code convert("RGB")}) feeds it: values
     * clipped to 255. One holding the 8-bit reference image's values therefore gives exactly that image's instances.
     */
    @Test
    void aSixteenBitGreyImageIsReadAsDetectron2ReadsIt() throws IOException {
        int k = -1;
        BufferedImage eight = null;
        for (int i = 0; i < refs.size() && k < 0; i++) {
            BufferedImage img = javax.imageio.ImageIO.read(refs.get(i).file().toFile());
            if (img.getRaster().getNumBands() == 1 && img.getRaster().getSampleModel().getSampleSize(0) == 8) {
                k = i;
                eight = img;
            }
        }
        assertTrue(k >= 0, "no 8-bit grey reference image");
        BufferedImage sixteen = new BufferedImage(eight.getWidth(), eight.getHeight(), BufferedImage.TYPE_USHORT_GRAY);
        sixteen.getRaster().setPixels(0, 0, eight.getWidth(), eight.getHeight(),
                eight.getRaster().getPixels(0, 0, eight.getWidth(), eight.getHeight(), (int[]) null));
        Path file = tmp.resolve("grey16.png");
        assertTrue(javax.imageio.ImageIO.write(sixteen, "png", file.toFile()));
        assertFalse(expected.get(k).isEmpty());
        assertEquals(expected.get(k), predictor.predict(file));
        assertEquals(expected.get(k), predictor.predict(ImageInput.of(sixteen, "grey16")));
    }

    @Test
    void aCorruptOrMissingImageFailsAloneAndIsNamed() throws IOException {
        Path corrupt = tmp.resolve("corrupt.png");
        byte[] png = Files.readAllBytes(refs.get(2).file());
        Files.write(corrupt, java.util.Arrays.copyOf(png, png.length / 3));
        Path missing = tmp.resolve("missing.png");
        List<Prediction> out = predictor.predictAll(List.of(ImageInput.of(refs.get(0).file()), ImageInput.of(corrupt),
                ImageInput.of(missing), ImageInput.of(new byte[] {1, 2, 3}, "garbage-bytes"), ImageInput.of(refs.get(3).file())));
        assertEquals(5, out.size());
        assertEquals(expected.get(0), out.get(0).instances());
        assertEquals(expected.get(3), out.get(4).instances());
        for (int i = 1; i <= 3; i++) {
            Prediction p = out.get(i);
            assertFalse(p.isSuccess());
            assertTrue(p.error().orElseThrow() instanceof InputFormatException);
            assertTrue(p.error().get().getMessage().contains(p.name()), p.error().get().getMessage());
            PredictionFailedException failed = assertThrows(PredictionFailedException.class, p::instances);
            assertSame(p.error().get(), failed.getCause());
            assertTrue(failed.getMessage().startsWith(p.name() + ": prediction failed: "), failed.getMessage());
        }
        assertTrue(out.get(1).name().endsWith("corrupt.png"));
        InputFormatException single = assertThrows(InputFormatException.class, () -> predictor.predict(corrupt));
        assertTrue(single.getMessage().contains("corrupt.png"));
    }

    @Test
    void aPaddedBatchOfDifferentSizesGivesEveryImage() {
        try (Predictor p = Predictor.open(MODEL, PredictorOptions.builder().threads(2).batchSize(4).build())) {
            // two copies of one image: the batch is padded as the image alone, so results equal the single run
            ImageInput first = ImageInput.of(refs.get(0).file());
            for (Prediction pr : p.predictAll(List.of(first, first))) {
                assertTrue(expected.get(0).equals(pr.instances()), "batch of two equal images");
            }
            // images of different sizes share one padded batch: each comes out, independent of its slot
            List<ImageInput> inputs = refs.stream().map(r -> ImageInput.of(r.file())).toList();
            List<Prediction> out = p.predictAll(inputs);
            List<ImageInput> backwards = new ArrayList<>(inputs);
            java.util.Collections.reverse(backwards);
            List<Prediction> reversed = p.predictAll(backwards);
            assertEquals(refs.size(), out.size());
            for (int i = 0; i < refs.size(); i++) {
                Prediction pr = out.get(i);
                int[] size = refs.get(i).get("image_size").asInts();
                assertEquals(refs.get(i).file().toString(), pr.name());
                assertEquals(size[0], pr.height());
                assertEquals(size[1], pr.width());
                assertFalse(pr.instances().isEmpty());
                for (Instance inst : pr.instances()) {
                    assertEquals(size[0], inst.mask().imageHeight());
                    assertEquals(size[1], inst.mask().imageWidth());
                    assertTrue(inst.x1() <= size[1] && inst.y1() <= size[0]);
                }
                assertTrue(pr.instances().equals(reversed.get(refs.size() - 1 - i).instances()), "slot order, image " + i);
            }
        }
    }

    @Test
    void optionsOverrideTheManifest() throws IOException {
        Path file = refs.get(3).file();
        try (Predictor p = Predictor.open(MODEL, PredictorOptions.builder().threads(1).scoreThreshold(0.2f)
                .detectionsPerImage(5).build())) {
            List<Instance> out = p.predict(file);
            assertTrue(out.size() <= 5 && !out.isEmpty());
            for (Instance i : out) assertTrue(i.score() > 0.2f);
            assertEquals(expected.get(3).subList(0, out.size()).stream().map(Instance::score).toList(),
                    out.stream().map(Instance::score).toList());
        }
        // minSizeTest(160).maxSizeTest(256) must act exactly as a manifest with min_size_test 160 / max_size_test 256 (the resize it
        // asks for is the one used), and differ from the manifest's own 320 / 512
        Path smaller = TinyPackages.edited(tmp.resolve("tiny-160"), root -> {
            TinyPackages.at(root, "input").put("min_size_test", 160);
            TinyPackages.at(root, "input").put("max_size_test", 256);
        });
        try (Predictor p = Predictor.open(MODEL, PredictorOptions.builder().threads(1).minSizeTest(160).maxSizeTest(256).build());
                Predictor q = Predictor.open(smaller, PredictorOptions.builder().threads(1).build())) {
            List<Instance> overridden = p.predict(file);
            assertEquals(q.predict(file), overridden, "minSizeTest(160).maxSizeTest(256) vs the manifest's 160 / 256");
            assertFalse(overridden.equals(expected.get(3)), "the same instances as at the manifest's 320 / 512");
        }
        assertThrows(IllegalArgumentException.class, () -> PredictorOptions.builder().threads(0));
        assertThrows(IllegalArgumentException.class, () -> PredictorOptions.builder().nmsThreshold(1.5));
        assertThrows(IllegalArgumentException.class, () -> PredictorOptions.builder().scoreThreshold(Float.NaN));
    }

    @Test
    void emptyListGivesEmptyResultsAndClosedPredictorRefuses() {
        assertTrue(predictor.predictAll(List.of()).isEmpty());
        Predictor p = Predictor.open(MODEL, PredictorOptions.builder().threads(1).build());
        p.close();
        p.close();
        assertThrows(PredictorClosedException.class, () -> p.predict(refs.get(0).file()));
        assertThrows(IllegalArgumentException.class, () -> predictor.predict((ImageInput) null));
    }
}
