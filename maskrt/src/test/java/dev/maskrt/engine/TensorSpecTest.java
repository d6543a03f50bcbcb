package dev.maskrt.engine;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorSpecTest {

    @Test
    void describesFixedNamedAndUnnamedDynamicAxes() {
        TensorSpec s = new TensorSpec("x", ElementType.FLOAT32, new long[] {-1, 3, -1}, new String[] {"n", null, ""});
        assertEquals("[n, 3, ?]", s.shapeText());
        assertTrue(s.isDynamic(0));
        assertFalse(s.isDynamic(1));
        assertEquals(Optional.of("n"), s.dimensionName(0));
        assertEquals(Optional.empty(), s.dimensionName(2), "empty name means none");
        assertArrayEquals(new long[] {-1, 3, -1}, s.shape());
        assertEquals(new TensorSpec("x", ElementType.FLOAT32, new long[] {-1, 3, -1}, new String[] {"n", null, null}), s);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec(null, ElementType.FLOAT32, new long[0], null));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("x", null, new long[0], null));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("x", ElementType.FLOAT32, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorSpec("x", ElementType.FLOAT32, new long[] {-2}, null));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorSpec("x", ElementType.FLOAT32, new long[] {1, 2}, new String[1]));
    }
}
