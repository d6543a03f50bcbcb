package dev.maskrt.eval;

/** What COCO evaluation compares: boxes ({@code iouType="bbox"}) or masks ({@code iouType="segm"}). */
public enum IouType {
    /** Box IoU on {@code [x, y, w, h]} (pycocotools {@code bbIou}). */
    BBOX,
    /** Mask IoU on run-length encoded masks (pycocotools {@code rleIou}). */
    SEGM;

    /** @return the pycocotools name: {@code "bbox"} or {@code "segm"} */
    public String cocoName() {
        return this == BBOX ? "bbox" : "segm";
    }
}
