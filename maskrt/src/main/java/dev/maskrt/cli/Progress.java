package dev.maskrt.cli;

import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a run over images, on stderr: a live progress bar (images/s, ETA) when stderr is a terminal, else a
 * plain line at every 10 % (and at the end), so logs stay readable.
 */
abstract class Progress implements AutoCloseable {
    /** One more image done. */
    abstract void step();

    @Override
    public abstract void close();

    static Progress create(int total, PrintWriter err) {
        return System.console() != null ? new Bar(total) : new Lines(total, err);
    }

    private static final class Bar extends Progress {
        private final ProgressBar bar;

        Bar(int total) {
            bar = new ProgressBarBuilder().setTaskName("predict").setInitialMax(total).setUnit(" img", 1)
                    .showSpeed().setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        }

        @Override
        void step() { bar.step(); }

        @Override
        public void close() { bar.close(); }
    }

    private static final class Lines extends Progress {
        private final int total;
        private final PrintWriter err;
        private final long start = System.nanoTime();
        private int done, lastTenth;

        Lines(int total, PrintWriter err) {
            this.total = total;
            this.err = err;
        }

        @Override
        void step() {
            done++;
            int tenth = (int) (10L * done / Math.max(total, 1));
            if (tenth > lastTenth || done == total) {
                lastTenth = tenth;
                double seconds = (System.nanoTime() - start) / 1e9;
                double rate = done / Math.max(seconds, 1e-9);
                err.printf(Locale.ROOT, "predict: %d/%d images, %.2f images/s, ETA %.0f s%n", done, total, rate,
                        (total - done) / rate);
                err.flush();
            }
        }

        @Override
        public void close() {}
    }
}
