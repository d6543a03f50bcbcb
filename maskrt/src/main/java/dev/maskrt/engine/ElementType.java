package dev.maskrt.engine;

/** The element type a graph declares for one of its inputs or outputs. maskrt's engines exchange {@link #FLOAT32}. */
public enum ElementType {
    FLOAT32, FLOAT16, BFLOAT16, FLOAT64, INT8, UINT8, INT16, INT32, INT64, BOOL, STRING,
    /** A type this build does not name, or a value that is not a tensor. */
    OTHER
}
