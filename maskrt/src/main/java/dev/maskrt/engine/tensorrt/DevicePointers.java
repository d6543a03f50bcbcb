package dev.maskrt.engine.tensorrt;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Pointer;

/** Adapters between maskrt's {@code long} device handles and bytedeco pointers, and CUDA status checks. */
final class DevicePointers {
    private DevicePointers() {}

    /** A pointer object holding a raw address (device memory or a handle); it owns nothing. */
    static Pointer at(long address) {
        return new Pointer() {
            {
                this.address = address;
            }
        };
    }

    /** The {@code cudaStream_t} with handle {@code handle}. */
    static CUstream_st stream(long handle) {
        return new CUstream_st(at(handle));
    }

    /** @throws dev.maskrt.error.EngineException naming {@code what} unless {@code status} is cudaSuccess */
    static void check(int status, String what) {
        if (status != 0) {
            throw new dev.maskrt.error.EngineException(what + ": " + BytedecoProbes.errorText(status), null);
        }
    }

    /** Selects the CUDA device of the calling thread. */
    static void useDevice(int deviceId) {
        check(cudart.cudaSetDevice(deviceId), "cudaSetDevice(" + deviceId + ")");
    }
}
