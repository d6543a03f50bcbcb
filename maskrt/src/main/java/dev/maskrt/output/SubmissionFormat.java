package dev.maskrt.output;

/**
 * The Kaggle instance-segmentation submission formats maskrt writes. All three are CSV with a header and one row
 * per instance, runs encoded by {@link KaggleRle} with 1-indexed starts, and require the masks of one image to be
 * disjoint (the writer resolves overlaps by score, see {@link NonOverlappingMasks}). An image without any
 * instance still gets one row with an empty run-length field ({@code id,}), which each competition's scorer reads
 * as "no object".
 */
public enum SubmissionFormat {
    /**
     * Sartorius Cell Instance Segmentation (2021): header {@code id,predicted}, ids without extension,
     * <b>row-major</b> pixel numbers ({@code y * width + x + 1}), as the competition's {@code train.csv}
     * annotations and the public decoders ({@code reshape(height, width)} of the flat array) use them, even though
     * the evaluation page's boilerplate text describes column order.
     */
    SARTORIUS("id", "predicted", PixelOrder.ROW_MAJOR),
    /**
     * 2018 Data Science Bowl (nuclei): header {@code ImageId,EncodedPixels}, <b>column-major</b> pixel numbers
     * ("top to bottom, then left to right": {@code x * height + y + 1}), pairs sorted and positive, no pixel in two
     * masks.
     */
    DSB2018("ImageId", "EncodedPixels", PixelOrder.COLUMN_MAJOR),
    /**
     * Airbus Ship Detection (2018): header {@code ImageId,EncodedPixels}, ids are file names ({@code 00021ddc3.jpg}),
     * <b>column-major</b> pixel numbers, one row per ship, masks disjoint, and an image with no ship gets one row with
     * an empty {@code EncodedPixels}.
     */
    AIRBUS_SHIP("ImageId", "EncodedPixels", PixelOrder.COLUMN_MAJOR);

    private final String idColumn;
    private final String rleColumn;
    private final PixelOrder order;

    SubmissionFormat(String idColumn, String rleColumn, PixelOrder order) {
        this.idColumn = idColumn;
        this.rleColumn = rleColumn;
        this.order = order;
    }

    /** @return header of the image id column */
    public String idColumn() { return idColumn; }

    /** @return header of the run-length column */
    public String rleColumn() { return rleColumn; }

    /** @return pixel numbering of the run-length column */
    public PixelOrder order() { return order; }

    /** @return the CSV header line, without line break */
    public String header() { return idColumn + "," + rleColumn; }
}
