package dev.maskrt.spark;

import dev.maskrt.cli.PredictOutputs;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * The job's {@code --images}: files, folders (their image files, sorted by name) and globs ({@code 'dir/*.png'},
 * matches sorted), as local paths or URIs of any Hadoop file system. When every argument is local (no scheme, or
 * {@code file:}), they are taken exactly as {@code maskrt predict} takes them (same order, same ids, same paths in the
 * outputs); otherwise each is listed through Hadoop and named by its URI.
 *
 * @param files the paths that give the ids (for a URI: its path part)
 * @param names how each input is named in the outputs and messages
 */
record Inputs(List<Path> files, List<String> names) {
    private static final String GLOB = "*?[{";

    int size() {
        return files.size();
    }

    /**
     * @param warnings gets one line per folder (or glob) without image files
     * @throws IOException when a folder cannot be listed
     */
    static Inputs collect(List<String> named, Configuration hadoop, PrintWriter warnings) throws IOException {
        boolean local = named.stream().allMatch(n -> uri(n) == null);
        if (local) {
            List<Path> expanded = new ArrayList<>();
            for (String n : named) {
                String plain = plainPath(n);
                if (!isGlob(plain)) {
                    expanded.add(Path.of(plain));
                    continue;
                }
                FileStatus[] matches = glob(new org.apache.hadoop.fs.Path("file://" + Path.of(plain).toAbsolutePath()),
                        hadoop);
                if (matches.length == 0) warnings.println("maskrt-spark: warning: --images " + n + ": matches nothing");
                for (FileStatus m : matches) expanded.add(Path.of(m.getPath().toUri()));
            }
            List<Path> files = PredictOutputs.collectFiles(expanded, warnings);
            return new Inputs(files, files.stream().map(Path::toString).toList());
        }
        Set<String> seen = new LinkedHashSet<>();
        for (String n : named) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(n);
            FileSystem fs = p.getFileSystem(hadoop);
            FileStatus[] matches = isGlob(n) ? glob(p, hadoop) : new FileStatus[] {status(fs, p)};
            int before = seen.size();
            for (FileStatus m : matches) {
                if (m == null) {
                    seen.add(fs.makeQualified(p).toString()); // missing: kept, so that it fails and is named
                } else if (m.isDirectory()) {
                    FileStatus[] entries = fs.listStatus(m.getPath());
                    Arrays.sort(entries, Comparator.comparing(e -> e.getPath().getName()));
                    for (FileStatus e : entries) {
                        if (isImage(e.getPath().getName())) seen.add(e.getPath().toString());
                    }
                } else {
                    seen.add(m.getPath().toString());
                }
            }
            if (seen.size() == before) warnings.println("maskrt-spark: warning: --images " + n + ": no image files");
        }
        List<String> names = List.copyOf(seen);
        return new Inputs(names.stream().map(s -> Path.of(URI.create(s).getPath())).toList(), names);
    }

    /** A URI of a file system other than the local one, or null (a local path or a {@code file:} URI). */
    static URI uri(String s) {
        try {
            URI u = new URI(s);
            if (u.getScheme() == null || u.getScheme().length() == 1 || u.getScheme().equals("file")) return null;
            return u;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static String plainPath(String s) {
        if (s.startsWith("file:")) {
            try {
                return Path.of(new URI(s)).toString();
            } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                return s.substring("file:".length());
            }
        }
        return s;
    }

    private static boolean isGlob(String s) {
        for (char c : GLOB.toCharArray()) if (s.indexOf(c) >= 0) return true;
        return false;
    }

    private static boolean isImage(String name) {
        int dot = name.lastIndexOf('.');
        return dot >= 0 && PredictOutputs.IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static FileStatus[] glob(org.apache.hadoop.fs.Path pattern, Configuration hadoop) throws IOException {
        FileStatus[] m = pattern.getFileSystem(hadoop).globStatus(pattern);
        if (m == null) return new FileStatus[0];
        Arrays.sort(m, Comparator.comparing(s -> s.getPath().toString()));
        return m;
    }

    private static FileStatus status(FileSystem fs, org.apache.hadoop.fs.Path p) throws IOException {
        try {
            return fs.getFileStatus(p);
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
    }
}
