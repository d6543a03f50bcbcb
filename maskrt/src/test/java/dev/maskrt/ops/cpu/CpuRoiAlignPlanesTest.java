package dev.maskrt.ops.cpu;

/** Every {@link CpuRoiAlignTest} case with the maps read in planes (channels first). */
class CpuRoiAlignPlanesTest extends CpuRoiAlignTest {
    @Override
    CpuRoiAlign.Layout layout() {
        return CpuRoiAlign.Layout.PLANES;
    }
}
