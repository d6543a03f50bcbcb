package dev.maskrt.cascade;

import java.util.List;

/**
 * What the box stages give for one image's R proposals.
 *
 * @param scores {@code float[R * (K + 1)]}: the mean of the stages' softmax probabilities, background last
 * @param boxes the last stage's decoded boxes (not clipped), resized-image pixels: {@code float[4R]}, or
 *     {@code float[4RK]} (row-major: proposal, then class) for a class-specific box head
 * @param stageBoxes each stage's decoded boxes (not clipped), in stage order
 * @param stageProbs each stage's softmax probabilities {@code float[R * (K + 1)]}, in stage order
 */
public record StageOutput(float[] scores, float[] boxes, List<float[]> stageBoxes, List<float[]> stageProbs) {}
