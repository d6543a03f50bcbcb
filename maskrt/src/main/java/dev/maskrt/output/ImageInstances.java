package dev.maskrt.output;

import java.util.List;

/**
 * The instances found in one image, with the image's id and size: the unit a submission writer takes.
 *
 * @param imageId the competition's image id, written as it is (no comma, quote or line break)
 * @param height rows of the original image
 * @param width columns of the original image
 * @param instances the instances, any order; every mask must be over a {@code height x width} image
 */
public record ImageInstances(String imageId, int height, int width, List<Instance> instances) {
    /**
     * @param imageId the image id, not empty, without comma, quote or line break
     * @param height rows of the original image
     * @param width columns of the original image
     * @param instances the instances (copied)
     * @throws IllegalArgumentException naming the argument when the id is unusable or a mask's image size differs
     */
    public ImageInstances {
        if (imageId == null || imageId.isEmpty()) throw new IllegalArgumentException("imageId must not be empty");
        for (int i = 0; i < imageId.length(); i++) {
            char c = imageId.charAt(i);
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                throw new IllegalArgumentException("imageId '" + imageId + "' contains a comma, quote or line break");
            }
        }
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("image size must be >= 0, got height " + height + " width " + width);
        }
        if (instances == null) throw new IllegalArgumentException("instances must not be null");
        instances = List.copyOf(instances);
        for (int i = 0; i < instances.size(); i++) {
            CompactMask m = instances.get(i).mask();
            if (m == null) {
                throw new IllegalArgumentException("instances[" + i + "] has no mask (a box-only model's instance): "
                        + "Kaggle submissions are run-length encoded masks");
            }
            if (m.imageHeight() != height || m.imageWidth() != width) {
                throw new IllegalArgumentException("instances[" + i + "].mask is over a " + m.imageWidth() + "x"
                        + m.imageHeight() + " image, not the image's " + width + "x" + height);
            }
        }
    }
}
