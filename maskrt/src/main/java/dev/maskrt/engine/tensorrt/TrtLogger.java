package dev.maskrt.engine.tensorrt;

import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TensorRT's logger, forwarding to SLF4J ({@code dev.maskrt.engine.tensorrt.TensorRT}): errors as ERROR, warnings as
 * WARN, info as DEBUG (TensorRT is chatty), verbose as TRACE. One instance for the JVM, kept reachable so the native
 * side never calls a collected object. Thread-safe.
 */
final class TrtLogger extends ILogger {
    private static final Logger LOG = LoggerFactory.getLogger("dev.maskrt.engine.tensorrt.TensorRT");
    private static TrtLogger instance;

    private TrtLogger() {}

    static synchronized TrtLogger get() {
        if (instance == null) instance = new TrtLogger();
        return instance;
    }

    @Override
    public void log(ILogger.Severity severity, String message) {
        switch (severity) {
            case kINTERNAL_ERROR, kERROR -> LOG.error("TensorRT: {}", message);
            case kWARNING -> LOG.warn("TensorRT: {}", message);
            case kINFO -> LOG.debug("TensorRT: {}", message);
            default -> LOG.trace("TensorRT: {}", message);
        }
    }
}
