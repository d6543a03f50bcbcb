package dev.maskrt.engine;

import java.util.List;
import java.util.Optional;

/**
 * One graph of a model package as the manifest declares it: the file (relative to the package directory) and its
 * inputs and outputs, in manifest order.
 *
 * @param field the manifest field that declares it, e.g. {@code graphs.box_heads[1]} (used in error messages)
 * @param file graph file name relative to the package directory
 * @param winogradFile the graph's CPU form: its wide 3x3 convolutions in Winograd form, a mask head's upsampling at
 *                     the RoI resolution ({@code winograd_file}, made by
 *                     {@code tools/winograd}; same inputs and outputs, equal up to float32 rounding), run by ONNX
 *                     Runtime on the CPU in place of {@code file}; null when the package has none
 */
public record GraphDeclaration(String field, String file, List<TensorSpec> inputs,
        List<TensorSpec> outputs, String winogradFile) {
    public GraphDeclaration {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** A graph without a Winograd form. */
    public GraphDeclaration(String field, String file, List<TensorSpec> inputs, List<TensorSpec> outputs) {
        this(field, file, inputs, outputs, null);
    }

    /** The declared input named {@code name}, if any. */
    public Optional<TensorSpec> input(String name) {
        return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The declared output named {@code name}, if any. */
    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }
}
