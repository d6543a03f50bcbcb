package dev.maskrt.util;

import dev.maskrt.error.InputFormatException;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a CSV file with a header line, one record per line (RFC 4180 quoting within a line: {@code "a,b"} and
 * {@code ""} for a quote; fields spanning lines are not supported). Blank lines are skipped; {@code \r\n} is accepted.
 * Errors are {@link InputFormatException}s naming the file and line. Not thread-safe.
 */
public final class CsvReader implements Closeable {
    private final Path file;
    private final BufferedReader in;
    private final String[] header;
    private long line;

    /** Opens {@code file} (UTF-8) and reads its header. */
    public CsvReader(Path file) throws IOException {
        this.file = file;
        this.in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        String first = in.readLine();
        line = 1;
        if (first == null) {
            in.close();
            throw InputFormatException.at(file, "line 1", null, "empty file: expected a CSV header");
        }
        if (first.startsWith("\uFEFF")) first = first.substring(1);
        String start = first.strip();
        if (start.startsWith("{") || start.startsWith("[")) {
            in.close();
            throw InputFormatException.at(file, "line 1", null, "this is JSON, not CSV: expected a Kaggle CSV whose "
                    + "first line is a header such as ImageId,EncodedPixels");
        }
        header = split(first);
    }

    /** The header's column names, trimmed. */
    public String[] header() {
        return header.clone();
    }

    /** The index of the first header column equal to one of {@code names}, or -1. */
    public int column(String... names) {
        for (String name : names) {
            for (int i = 0; i < header.length; i++) {
                if (header[i].trim().equals(name)) return i;
            }
        }
        return -1;
    }

    /** Like {@link #column} but throws an InputFormatException naming the expected columns when none is present. */
    public int requireColumn(String... names) {
        int c = column(names);
        if (c < 0) {
            throw InputFormatException.at(file, "line 1", null, "header has no column " + String.join(" or ", names)
                    + " (got " + String.join(",", header) + ")");
        }
        return c;
    }

    /**
     * The next record's fields, or null at the end. A record must have exactly as many fields as the header.
     */
    public String[] next() throws IOException {
        String text;
        do {
            text = in.readLine();
            if (text == null) return null;
            line++;
        } while (text.isBlank());
        String[] fields = split(text);
        if (fields.length != header.length) {
            throw InputFormatException.at(file, "line " + line, null, "has " + fields.length
                    + " fields, the header has " + header.length);
        }
        return fields;
    }

    /** The 1-based line number of the last record (or header) read. */
    public long line() {
        return line;
    }

    public Path file() {
        return file;
    }

    /** An InputFormatException for {@code field} of the last record read. */
    public InputFormatException error(String field, String problem) {
        return InputFormatException.at(file, "line " + line, field, problem);
    }

    private String[] split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        int i = 0, n = text.length();
        while (true) {
            sb.setLength(0);
            if (i < n && text.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= n) throw InputFormatException.at(file, "line " + line, null, "unterminated quoted field");
                    char c = text.charAt(i++);
                    if (c == '"') {
                        if (i < n && text.charAt(i) == '"') { sb.append('"'); i++; } else break;
                    } else {
                        sb.append(c);
                    }
                }
                if (i < n && text.charAt(i) != ',') {
                    throw InputFormatException.at(file, "line " + line, null, "text after a closing quote");
                }
            } else {
                while (i < n && text.charAt(i) != ',') sb.append(text.charAt(i++));
                if (sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') sb.setLength(sb.length() - 1);
            }
            out.add(sb.toString());
            if (i >= n) break;
            i++; // the comma
        }
        return out.toArray(new String[0]);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
