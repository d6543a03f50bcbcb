package dev.maskrt.spark;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.SparkSession;

/**
 * Where the executors find the model package. Two ways:
 * <ul>
 *   <li>a directory at the same path on the driver and every executor (a shared file system: NFS, Lustre, ...);</li>
 *   <li>a {@code .zip} of the package (its files at the zip's root or in one folder), a local path or any Hadoop URI
 *       ({@code hdfs://}, {@code s3a://}): the job ships it to every executor ({@code SparkContext.addFile}, what
 *       {@code spark-submit --files} does; a zip already given with {@code --files} is not added twice) and each
 *       executor JVM unzips it once into a temporary folder, deleted at shutdown.</li>
 * </ul>
 */
final class ModelLocation implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Map<String, Path> UNZIPPED = new ConcurrentHashMap<>();

    /** The directory, or the zip's original location. */
    private final String location;
    /** The zip's file name (what {@code SparkFiles.get} takes), or null for a directory. */
    private final String zipName;

    private ModelLocation(String location, String zipName) {
        this.location = location;
        this.zipName = zipName;
    }

    /**
     * On the driver: checks the location's form and ships a zip to the executors.
     *
     * @throws IllegalArgumentException when a directory is given by a non-local URI (executors cannot open it)
     */
    static ModelLocation prepare(SparkSession spark, String model) {
        URI uri = uri(model);
        String scheme = uri == null ? null : uri.getScheme();
        boolean local = scheme == null || scheme.equals("file");
        if (model.toLowerCase(Locale.ROOT).endsWith(".zip")) {
            String name = new org.apache.hadoop.fs.Path(model).getName();
            String full = local ? localPath(model).toString() : model;
            boolean shipped = false;
            for (String f : scala.jdk.javaapi.CollectionConverters.asJava(spark.sparkContext().listFiles())) {
                if (f.endsWith("/" + name)) shipped = true;
            }
            if (!shipped) spark.sparkContext().addFile(full);
            return new ModelLocation(full, name);
        }
        if (!local) {
            throw new IllegalArgumentException("model " + model + ": executors open a model package directory by its "
                    + "path, so it must be on a file system they all mount; zip the package and give the .zip instead");
        }
        return new ModelLocation(localPath(model).toString(), null);
    }

    /**
     * The package directory in this JVM: the directory itself, or the zip unzipped once per JVM (from the executor's
     * copy, or on the driver from the original).
     */
    Path directory(Configuration hadoop) {
        if (zipName == null) return Path.of(location);
        return UNZIPPED.computeIfAbsent(zipName + "\u0000" + location, k -> unzip(localZip(hadoop)));
    }

    /** A name for logs and predictor keys. */
    String key() {
        return zipName == null ? location : "zip:" + location;
    }

    @Override
    public String toString() {
        return key();
    }

    private Path localZip(Configuration hadoop) {
        try {
            File shipped = new File(SparkFiles.get(zipName));
            if (shipped.isFile()) return shipped.toPath();
        } catch (RuntimeException noSparkEnv) {
            // not inside Spark (or before its files are set up): use the original location
        }
        URI uri = uri(location);
        if (uri == null || uri.getScheme() == null || uri.getScheme().equals("file")) return localPath(location);
        try {
            Path tmp = Files.createTempFile("maskrt-model-", ".zip");
            FileSystem fs = FileSystem.get(uri, hadoop);
            try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(uri))) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            ExecutorPredictors.deleteAtShutdown(tmp);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException("model " + location + ": cannot copy it here: " + e.getMessage(), e);
        }
    }

    /** Unzips into a new temporary folder; returns the folder holding {@code manifest.json}. */
    static Path unzip(Path zip) {
        try {
            Path dir = Files.createTempDirectory("maskrt-model-");
            ExecutorPredictors.deleteAtShutdown(dir);
            try (ZipFile z = new ZipFile(zip.toFile())) {
                for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
                    ZipEntry entry = e.nextElement();
                    Path target = dir.resolve(entry.getName()).normalize();
                    if (!target.startsWith(dir)) {
                        throw new IllegalArgumentException("model " + zip + ": entry '" + entry.getName()
                                + "' points outside the package");
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(target);
                        continue;
                    }
                    Files.createDirectories(target.getParent());
                    try (InputStream in = z.getInputStream(entry)) {
                        Files.copy(in, target);
                    }
                }
            }
            if (Files.isRegularFile(dir.resolve("manifest.json"))) return dir;
            List<Path> folders = new ArrayList<>();
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().equals("__MACOSX"))
                        .sorted(Comparator.naturalOrder()).forEach(folders::add);
            }
            if (folders.size() == 1 && Files.isRegularFile(folders.get(0).resolve("manifest.json"))) return folders.get(0);
            throw new IllegalArgumentException("model " + zip + ": no manifest.json at the zip's root or in its one "
                    + "folder; zip the package directory (zip -r pkg.zip pkg)");
        } catch (IOException e) {
            throw new UncheckedIOException("model " + zip + ": cannot unzip it: " + e.getMessage(), e);
        }
    }

    private static URI uri(String s) {
        try {
            URI u = new URI(s);
            // a Windows drive letter or a plain relative path is no scheme
            return u.getScheme() != null && u.getScheme().length() == 1 ? null : u;
        } catch (java.net.URISyntaxException e) {
            return null; // a plain path with characters URIs do not allow
        }
    }

    private static Path localPath(String s) {
        URI u = uri(s);
        Path p = u != null && "file".equals(u.getScheme()) ? Path.of(u) : Path.of(s);
        return p.toAbsolutePath().normalize();
    }
}
