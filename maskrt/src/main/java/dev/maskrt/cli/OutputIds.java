package dev.maskrt.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The output id of each input file of {@code maskrt predict}, unique across the run. The rule, applied to a key (the
 * file's stem for Kaggle ids and overlay names, its file name for Airbus ids):
 * <ol>
 *   <li>the key, when no other input has the same key;</li>
 *   <li>else the file's path relative to the common folder of all inputs with the separators replaced by {@code _}
 *       ({@code a/cell.png} and {@code b/cell.png} give {@code a_cell} and {@code b_cell}); for stems without the
 *       extension when that is unique, else with it ({@code x.png} and {@code x.tif} give {@code x.png} and
 *       {@code x.tif});</li>
 *   <li>an id that is still taken gets {@code ~2}, {@code ~3}, ... in input order.</li>
 * </ol>
 * Characters that would break a CSV row or a file name ({@code , " / \ } and control characters) become {@code _}.
 */
final class OutputIds {
    private OutputIds() {}

    /** Stem-based ids (Kaggle Sartorius/DSB ids, overlay names), in input order. */
    static List<String> stems(List<Path> files) {
        return assign(files, OutputIds::stem, true);
    }

    /** File-name-based ids (Airbus {@code ImageId}), in input order. */
    static List<String> fileNames(List<Path> files) {
        return assign(files, f -> f.getFileName().toString(), false);
    }

    static String stem(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static List<String> assign(List<Path> files, Function<Path, String> key, boolean dropExtension) {
        List<String> keys = new ArrayList<>(files.size());
        for (Path f : files) keys.add(clean(key.apply(f)));
        Map<String, Integer> keyCounts = counts(keys);
        List<Path> absolute = files.stream().map(f -> f.toAbsolutePath().normalize()).toList();
        Path root = commonFolder(absolute);
        List<String> relative = new ArrayList<>(files.size());
        for (Path f : absolute) relative.add(clean(root == null ? f.toString() : root.relativize(f).toString()));
        List<String> relativeStems = relative.stream().map(OutputIds::dropExtension).toList();
        Map<String, Integer> stemCounts = counts(relativeStems);
        List<String> ids = new ArrayList<>(files.size());
        Set<String> taken = new HashSet<>();
        for (int i = 0; i < files.size(); i++) {
            String id;
            if (keyCounts.get(keys.get(i)) == 1) id = keys.get(i);
            else if (dropExtension && stemCounts.get(relativeStems.get(i)) == 1) id = relativeStems.get(i);
            else id = relative.get(i);
            if (!taken.add(id)) {
                int k = 2;
                while (!taken.add(id + "~" + k)) k++;
                id = id + "~" + k;
            }
            ids.add(id);
        }
        return ids;
    }

    private static Map<String, Integer> counts(List<String> values) {
        Map<String, Integer> n = new HashMap<>();
        for (String v : values) n.merge(v, 1, Integer::sum);
        return n;
    }

    /** The deepest folder holding every file, or null when there is none (files on different roots). */
    private static Path commonFolder(List<Path> files) {
        Path root = null;
        for (Path f : files) {
            Path parent = f.getParent();
            if (parent == null) return null;
            if (root == null) {
                root = parent;
                continue;
            }
            while (root != null && !parent.startsWith(root)) root = root.getParent();
            if (root == null) return null;
        }
        return root;
    }

    private static String dropExtension(String relative) {
        int slash = relative.lastIndexOf('_'); // separators are already '_'; only drop a dot after the last one
        int dot = relative.lastIndexOf('.');
        return dot > slash + 1 ? relative.substring(0, dot) : relative;
    }

    private static String clean(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c == ',' || c == '"' || c == '/' || c == '\\' || Character.isISOControl(c) ? '_' : c);
        }
        return sb.toString();
    }
}
