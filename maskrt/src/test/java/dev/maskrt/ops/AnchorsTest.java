package dev.maskrt.ops;

import static dev.maskrt.ops.BoxGoldens.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.util.Npy;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnchorsTest {
    /** anchors.npz: detectron2's generate_cell_anchors + _grid_anchors transcribed in torch; must match bit for bit. */
    @Test
    void matchesDetectron2Bitwise() {
        Map<String, Map<String, Npy.Array>> cases = BoxGoldens.cases("anchors.npz");
        assertEquals(7, cases.size());
        cases.forEach((name, c) -> {
            float[] cell = Anchors.cellAnchors(c.get("sizes").asDoubles(), c.get("ratios").asDoubles());
            assertArrayEquals(c.get("cell").asFloats(), cell, 0f, name + " cell");
            int[] grid = c.get("grid").asInts();
            float[] anchors = Anchors.gridAnchors(grid[0], grid[1], grid[2], c.get("offset").scalar(), cell);
            assertArrayEquals(c.get("anchors").asFloats(), anchors, 0f, name + " anchors");
        });
    }

    @Test
    void handWorkedCell() {
        // size 32, ratio 0.5: w = sqrt(1024 / 0.5) = 45.2548..., h = 22.627...
        float[] cell = Anchors.cellAnchors(new double[] {32}, new double[] {0.5, 1});
        float w = (float) (Math.sqrt(2048) / 2), h = (float) (0.5 * Math.sqrt(2048) / 2);
        assertArrayEquals(new float[] {-w, -h, w, h, -16, -16, 16, 16}, cell, 0f);
        // order (H, W, A): row 1, column 0 comes after row 0's two columns
        float[] grid = Anchors.gridAnchors(2, 2, 10, 0.5, new float[] {-1, -2, 1, 2});
        assertArrayEquals(new float[] {4, 3, 6, 7, 14, 3, 16, 7, 4, 13, 6, 17, 14, 13, 16, 17}, grid, 0f);
    }

    @Test
    void refusesBadArguments() {
        float[] cell = {-1, -1, 1, 1};
        assertMessage("sizes", () -> Anchors.cellAnchors(new double[] {0}, new double[] {1}));
        assertMessage("aspectRatios", () -> Anchors.cellAnchors(new double[] {32}, new double[] {Double.NaN}));
        assertMessage("stride", () -> Anchors.gridAnchors(2, 2, 0, 0, cell));
        assertMessage("gridHeight", () -> Anchors.gridAnchors(-1, 2, 4, 0, cell));
        assertMessage("offset", () -> Anchors.gridAnchors(2, 2, 4, 1.0, cell));
        assertMessage("cellAnchors", () -> Anchors.gridAnchors(2, 2, 4, 0, new float[] {1, 2, 3}));
        assertEquals(0, Anchors.gridAnchors(0, 7, 4, 0, cell).length);
        assertEquals(0, Anchors.cellAnchors(new double[0], new double[] {1}).length);
    }
}
