package dev.maskrt.cli;

import java.nio.file.Path;

/**
 * One input of {@code maskrt predict}.
 *
 * @param path the file as named on the command line (or found in a named folder)
 * @param id its unique stem-based output id ({@link OutputIds#stems}): Kaggle id, overlay name, journal key
 * @param fileId its unique file-name-based id ({@link OutputIds#fileNames}): Airbus {@code ImageId}
 */
record InputImage(Path path, String id, String fileId) {}
