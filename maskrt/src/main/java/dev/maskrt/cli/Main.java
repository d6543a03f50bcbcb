package dev.maskrt.cli;

import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code maskrt} command-line tool. Exit status: 0 on success, 2 on a usage error (picocli's message) or a bad
 * input file (one line {@code maskrt: error: FILE: RECORD: FIELD: problem}; the stack trace only with
 * {@code --verbose}), 1 on an internal error.
 */
@Command(name = "maskrt", mixinStandardHelpOptions = true, version = "maskrt 0.1.0",
        description = "Cascade Mask R-CNN inference, outputs and evaluation on the JVM.",
        subcommands = {EvalCommand.class, PredictCommand.class, BuildEnginesCommand.class, SelfCheckCommand.class})
public final class Main implements Runnable {
    /** Exit status for bad input files (the same as picocli's usage errors). */
    public static final int EXIT_BAD_INPUT = 2;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: maskrt eval --help)");
    }

    /** A command line with maskrt's error handling; set its out/err to capture output. */
    public static CommandLine newCommandLine() {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            PrintWriter err = cmd.getErr();
            boolean bad = cause instanceof InputFormatException || cause instanceof IOException;
            err.println("maskrt: error: " + describe(cause));
            if (main.verbose) cause.printStackTrace(err);
            err.flush();
            return bad ? EXIT_BAD_INPUT : 1;
        });
        return cl;
    }

    /** Runs the tool on {@code args} with System.out/err and returns the exit status. */
    public static int execute(String... args) {
        return newCommandLine().execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    private static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file";
        if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
        if (e instanceof InputFormatException || e instanceof IOException) {
            return String.valueOf(e.getMessage()).replace('\n', ' ');
        }
        return e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
    }
}
