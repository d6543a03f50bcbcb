package dev.maskrt.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * maskrcnn-benchmark reads images with PIL's {@code Image.open(path).convert("RGB")} (torchvision's CocoDetection),
 * without detectron2's EXIF transpose: {@link ImageDecoder#asPilConvertReads()} keeps the file's pixel order.
 */
class PilConvertReadsTest {
    @Test
    void keepsTheFilesOrientation() {
        Path rotated = Path.of("src/test/resources/image/exif/orient-6.png"); // 3 x 5 stored, EXIF: rotate 90
        DecodedImage pil = ImageDecoder.bgr().asPilConvertReads().decode(rotated);
        DecodedImage d2 = ImageDecoder.bgr().asDetectron2Reads().decode(rotated);
        DecodedImage plain = ImageDecoder.bgr().decode(rotated);
        assertEquals(3, pil.height());
        assertEquals(5, pil.width());
        assertEquals(5, d2.height());
        assertArrayEquals(plain.bytes(), pil.bytes());
    }
}
