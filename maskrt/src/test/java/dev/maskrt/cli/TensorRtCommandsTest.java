package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.engine.tensorrt.GpuDevice;
import dev.maskrt.engine.tensorrt.NativeProbes;
import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TensorRtCommandsTest {
    private static final String TINY = "src/test/resources/models/tiny";

    /** No libnvinfer: the driver and CUDA load, TensorRT does not. */
    private static final TensorRtAvailability NO_TENSORRT = TensorRtAvailability.check(new NativeProbes() {
        @Override public void loadDriver() {}
        @Override public int[] cudaVersions() { return new int[] {13020, 13010}; }
        @Override public int tensorRtVersion() { throw new UnsatisfiedLinkError("libnvinfer.so.10: cannot open shared object file"); }
        @Override public int onnxParserVersion() { throw new AssertionError("not reached"); }
        @Override public List<GpuDevice> devices() { throw new AssertionError("not reached"); }
        @Override public String maskrtCudaProblem() { throw new AssertionError("not reached"); }
    });

    private record Run(int status, String out, String err) {}

    private static Run run(Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    private static void assertOneLineRefusal(Run r, String reason) {
        assertEquals(2, r.status());
        assertEquals("", r.out());
        assertEquals(List.of("maskrt: " + reason), r.err().lines().toList());
    }

    @Test
    void buildEnginesWithoutTensorRtSaysWhyInOneLineAndExits2() {
        Run r = run(new BuildEnginesCommand(() -> NO_TENSORRT), "--model", TINY, "--fp16");
        assertOneLineRefusal(r, NO_TENSORRT.reason());
        assertTrue(r.err().contains("libnvinfer.so.10") && r.err().contains("-Ptensorrt-redist"), r.err());
    }

    @Test
    void selfcheckWithoutTensorRtSaysWhyInOneLineAndExits2() {
        Run r = run(new SelfCheckCommand(() -> NO_TENSORRT), "--model", TINY, "--fp16", "--bench");
        assertOneLineRefusal(r, NO_TENSORRT.reason());
    }

    @Test
    void onThisMachineBothCommandsExit2ThroughMain() {
        TensorRtAvailability here = TensorRtAvailability.probe();
        Assumptions.assumeFalse(here.isAvailable(), "TensorRT runs here");
        for (String[] args : new String[][] {{"build-engines", "--model", TINY}, {"selfcheck", "--model", TINY, "--fp16"}}) {
            CommandLine cl = Main.newCommandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            assertEquals(2, cl.execute(args), String.join(" ", args));
            assertEquals(List.of("maskrt: " + here.reason()), err.toString().lines().toList());
        }
    }

    @Test
    void usageErrorsExit2() {
        assertEquals(2, run(new BuildEnginesCommand(() -> NO_TENSORRT)).status(), "--model is required");
        assertEquals(2, run(new SelfCheckCommand(() -> NO_TENSORRT), "--model", TINY, "--runs").status());
    }
}
