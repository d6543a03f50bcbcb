package dev.maskrt.spark;

import dev.maskrt.error.InputFormatException;
import dev.maskrt.error.MaskrtException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code maskrt-spark} tool: {@code spark-submit --class dev.maskrt.spark.Main maskrt-spark.jar predict ...}, or
 * {@code bin/maskrt-spark predict ...} (local mode). Exit status: 0 success, 1 some image failed or an internal error,
 * 2 usage or model-package errors (one line {@code maskrt-spark: error: ...}).
 */
@Command(name = "maskrt-spark", mixinStandardHelpOptions = true, version = "maskrt-spark 0.1.0",
        description = "maskrt on Apache Spark: segment test sets on a cluster.", subcommands = {PredictJob.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: maskrt-spark predict --help)");
    }

    /**
     * Runs the tool.
     *
     * @param args the command line
     * @return the exit status
     */
    public static int execute(String... args) {
        return newCommandLine().execute(args);
    }

    static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            PrintWriter err = cmd.getErr();
            boolean bad = cause instanceof InputFormatException || cause instanceof IOException
                    || cause instanceof MaskrtException;
            err.println("maskrt-spark: error: " + (bad ? "" : cause.getClass().getSimpleName() + ": ")
                    + String.valueOf(cause.getMessage()).replace('\n', ' '));
            if (!bad) cause.printStackTrace(err);
            err.flush();
            return bad ? 2 : 1;
        });
        return cl;
    }

    /**
     * The entry point of {@code spark-submit --class dev.maskrt.spark.Main}.
     *
     * @param args the command line ({@code predict ...})
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
