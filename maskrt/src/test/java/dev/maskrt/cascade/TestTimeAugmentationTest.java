package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.image.Augmentation;
import dev.maskrt.image.ImageGeometry;
import dev.maskrt.model.TestAugSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pieces of {@link TestTimeAugmentation} worked by hand; the whole is checked against real detectron2 by
 * {@code dev.maskrt.TinyDetectron2ParityTest}.
 */
class TestTimeAugmentationTest {
    @Test
    void augmentationsComeInDatasetMapperTtaOrder() {
        List<Augmentation> a = TestTimeAugmentation.augmentations(new TestAugSettings(true, new int[] {160, 224}, 320, true));
        assertEquals(4, a.size());
        int[] sizes = {160, 160, 224, 224};
        boolean[] flips = {false, true, false, true};
        for (int i = 0; i < 4; i++) {
            assertEquals(sizes[i], a.get(i).resize().shortEdge());
            assertEquals(320, a.get(i).resize().maxSize());
            assertEquals(flips[i], a.get(i).hflip());
        }
        List<Augmentation> noFlip = TestTimeAugmentation.augmentations(new TestAugSettings(false, new int[] {800}, 1333, false));
        assertEquals(1, noFlip.size());
        assertFalse(noFlip.get(0).hflip());
    }

    @Test
    void boxesAreUnflippedThenScaledBackAndTheReverseForTheMaskPass() {
        ImageGeometry g = new ImageGeometry(520, 704, 160, 217); // sartorius image at short side 160
        Augmentation flip = new Augmentation(new dev.maskrt.image.ResizeShortestEdge(160, 320), true);
        Detections d = new Detections(new float[] {10, 20, 50, 60}, new float[] {0.9f}, new int[] {2});
        Detections back = TestTimeAugmentation.toOriginal(d, g, flip);
        float sx = (float) (704.0 / 217), sy = (float) (520.0 / 160);
        assertArrayEquals(new float[] {(217f - 50f) * sx, 20f * sy, (217f - 10f) * sx, 60f * sy}, back.boxes());
        assertEquals(0.9f, back.scores()[0]);
        assertEquals(2, back.classes()[0]);
        Detections there = TestTimeAugmentation.toAugmented(back, g, flip);
        float tx = (float) (217.0 / 704), ty = (float) (160.0 / 520);
        float[] b = back.boxes();
        assertArrayEquals(new float[] {217f - b[2] * tx, b[1] * ty, 217f - b[0] * tx, b[3] * ty}, there.boxes());
        assertArrayEquals(d.boxes(), there.boxes(), 1e-4f);
        Augmentation plain = new Augmentation(flip.resize(), false);
        assertArrayEquals(new float[] {10 * sx, 20 * sy, 50 * sx, 60 * sy},
                TestTimeAugmentation.toOriginal(d, g, plain).boxes());
    }

    @Test
    void masksAreFlippedBackAndAveragedInOrder() {
        MaskProbabilities m = new MaskProbabilities(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, TestTimeAugmentation.flipped(m).values());
        MaskProbabilities avg = TestTimeAugmentation.average(List.of(m, TestTimeAugmentation.flipped(m),
                new MaskProbabilities(new float[] {0.1f, 0, 0, 0, 0, 0}, 2, 3)));
        float first = ((1f + 3f) + 0.1f) / 3f;
        assertEquals(first, avg.values()[0]);
        assertEquals((2f + 2f + 0f) / 3f, avg.values()[1]);
        assertTrue(avg.height() == 2 && avg.width() == 3);
    }
}
