package dev.maskrt.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * What a backend needs to know of a model package to plan its engines (TensorRT optimisation profiles): the graphs'
 * declarations and the few settings that bound their input shapes. Built by the model layer from the manifest
 * ({@code ModelManifest.engineView()}), so that engines never depend on the manifest itself. Immutable.
 *
 * @param manifestFile the manifest the values come from, for messages
 * @param backbone the backbone + FPN + RPN head graph
 * @param boxHeads the box heads in stage order
 * @param maskHead the mask head, or null for a box-only model
 * @param minSizeTest the test short side (0: images are not resized)
 * @param maxSizeTest the test long-side limit
 * @param sizeDivisibility the padding multiple of the backbone's input (0 or 1: none)
 * @param rpnPostNmsTopk proposals per image after the RPN's NMS (RoIs per image of a box head)
 * @param detectionsPerImage the detections cap (RoIs per image of the mask head; negative: no cap)
 * @param numClasses foreground classes (bounds the mask head's RoIs when there is no cap)
 */
public record ModelGraphs(Path manifestFile, GraphDeclaration backbone, List<GraphDeclaration> boxHeads,
                          GraphDeclaration maskHead, int minSizeTest, int maxSizeTest, int sizeDivisibility,
                          int rpnPostNmsTopk, int detectionsPerImage, int numClasses) {
    public ModelGraphs {
        boxHeads = List.copyOf(boxHeads);
    }
}
