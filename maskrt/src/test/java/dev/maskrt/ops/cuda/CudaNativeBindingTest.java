package dev.maskrt.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.junit.jupiter.api.Test;

/**
 * The JavaCPP binding against the C header, without a GPU and without loading the native library: every function
 * prototype of {@code src/main/native/maskrt_cuda.h} has exactly one {@code native} method in {@link CudaNative} and
 * every native method a prototype, with the same parameter count, and each Java parameter (its class and its
 * {@code @Cast}) is a faithful spelling of the C type. A prototype changed in the header and not in Java (or the
 * reverse) fails here instead of corrupting arguments at run time.
 */
class CudaNativeBindingTest {
    private static final Path HEADER = Path.of("src/main/native/maskrt_cuda.h");

    /** One C prototype: return type, name, parameter types (names dropped). */
    record Prototype(String returnType, String name, List<String> parameterTypes) {}

    @Test
    void everyHeaderFunctionIsBoundAndEveryBindingIsDeclared() throws IOException {
        Map<String, Prototype> header = parse(Files.readString(HEADER));
        Map<String, Method> bound = nativeMethods();
        assertTrue(header.size() >= 25, "the parser found only " + header.keySet());
        Set<String> unbound = new TreeSet<>(header.keySet());
        unbound.removeAll(bound.keySet());
        Set<String> undeclared = new TreeSet<>(bound.keySet());
        undeclared.removeAll(header.keySet());
        assertTrue(unbound.isEmpty(), "declared in " + HEADER + " but not bound in CudaNative: " + unbound);
        assertTrue(undeclared.isEmpty(), "bound in CudaNative but not declared in " + HEADER + ": " + undeclared);
    }

    @Test
    void parameterCountsAndTypesAgree() throws IOException {
        Map<String, Prototype> header = parse(Files.readString(HEADER));
        Set<String> enums = enums(Files.readString(HEADER));
        List<String> problems = new ArrayList<>();
        for (Method m : nativeMethods().values()) {
            Prototype p = header.get(m.getName());
            if (p == null) continue; // reported by the test above
            Class<?>[] types = m.getParameterTypes();
            if (types.length != p.parameterTypes().size()) {
                problems.add(m.getName() + ": " + types.length + " Java parameters, " + p.parameterTypes().size()
                        + " in C " + p.parameterTypes());
                continue;
            }
            Annotation[][] annotations = m.getParameterAnnotations();
            for (int i = 0; i < types.length; i++) {
                String c = p.parameterTypes().get(i);
                String cast = cast(annotations[i]);
                if (!compatible(c, types[i], cast, enums)) {
                    problems.add(m.getName() + " parameter " + i + ": C '" + c + "' bound as "
                            + (cast == null ? "" : "@Cast(\"" + cast + "\") ") + types[i].getSimpleName());
                }
            }
            if (!returnCompatible(p.returnType(), m)) {
                problems.add(m.getName() + ": C returns '" + p.returnType() + "', Java " + m.getReturnType().getSimpleName()
                        + (m.getAnnotation(Cast.class) == null ? "" : " @Cast(\"" + m.getAnnotation(Cast.class).value()[0] + "\")"));
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void theComparisonCatchesMismatches() {
        // the rules above must be able to fail: a few wrong spellings of real parameters
        Set<String> enums = Set.of("maskrt_pixel_order");
        assertFalse(compatible("size_t", int.class, null, enums), "size_t as int");
        assertFalse(compatible("size_t", long.class, null, enums), "size_t without @Cast");
        assertFalse(compatible("const float*", long.class, "const int*", enums), "wrong pointee");
        assertFalse(compatible("const float*", float.class, null, enums), "pointer as a value");
        assertFalse(compatible("int", long.class, null, enums), "int as long");
        assertFalse(compatible("maskrt_pixel_order", int.class, null, enums), "enum without @Cast");
        assertTrue(compatible("const float* const*", long[].class, "const float* const*", enums));
        assertTrue(compatible("cudaStream_t", long.class, "cudaStream_t", enums));
        Map<String, Prototype> parsed = parse("/* c */ maskrt_status maskrt_x(const float* d_a, int n,\n"
                + "    size_t* h_b, cudaStream_t s); // x\nint maskrt_y(void);\n#define maskrt_z(a) a\n");
        assertEquals(List.of("const float*", "int", "size_t*", "cudaStream_t"), parsed.get("maskrt_x").parameterTypes());
        assertEquals(List.of(), parsed.get("maskrt_y").parameterTypes());
        assertEquals(Set.of("maskrt_x", "maskrt_y"), parsed.keySet());
    }

    /** The native methods of CudaNative by name (the class is not initialised: no library is loaded). */
    private static Map<String, Method> nativeMethods() {
        Map<String, Method> out = new TreeMap<>();
        for (Method m : CudaNative.class.getDeclaredMethods()) {
            if (!Modifier.isNative(m.getModifiers())) continue;
            assertTrue(out.put(m.getName(), m) == null, "overloaded binding " + m.getName());
        }
        return out;
    }

    /** The function prototypes of a C header, by name. */
    static Map<String, Prototype> parse(String source) {
        String text = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ")
                .replaceAll("(?m)^\\s*#.*$", " ").replaceAll("(?s)typedef\\s+enum\\s*\\w*\\s*\\{.*?\\}\\s*\\w+\\s*;", " ")
                .replaceAll("extern\\s+\"C\"\\s*\\{", " ");
        Matcher m = Pattern.compile("([A-Za-z_][\\w\\s\\*]*?)\\b(maskrt_\\w+)\\s*\\(([^;{}()]*)\\)\\s*;").matcher(text);
        Map<String, Prototype> out = new TreeMap<>();
        while (m.find()) {
            List<String> types = new ArrayList<>();
            String params = m.group(3).trim();
            if (!params.isEmpty() && !params.equals("void")) {
                for (String param : params.split(",")) {
                    // drop the parameter name: the last identifier
                    types.add(normalise(param.trim().replaceAll("\\s*\\b[A-Za-z_]\\w*$", "")));
                }
            }
            assertTrue(out.put(m.group(2), new Prototype(normalise(m.group(1)), m.group(2), types)) == null,
                    "declared twice: " + m.group(2));
        }
        return out;
    }

    private static Set<String> enums(String source) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("typedef\\s+enum\\s*\\w*\\s*\\{[^}]*\\}\\s*(\\w+)\\s*;").matcher(source);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** One spelling per C type: single spaces, none before a '*', one after it when a word follows. */
    static String normalise(String type) {
        return type.trim().replaceAll("\\s+", " ").replaceAll("\\s*\\*", "*").replaceAll("\\*(?=\\w)", "* ");
    }

    private static String cast(Annotation[] annotations) {
        for (Annotation a : annotations) {
            if (a instanceof Cast c) return normalise(String.join(" ", c.value()));
        }
        return null;
    }

    /**
     * Whether Java type {@code j} with {@code @Cast(cast)} (or none) passes C type {@code c} faithfully: without a
     * cast only the plain matches (int, float, double and host arrays of int / float); with one the cast must be the
     * C type itself, on a Java type that can carry it (an address for a pointer or stream, an array or JavaCPP
     * pointer for a pointer, long for size_t, int for a maskrt enum).
     */
    static boolean compatible(String c, Class<?> j, String cast, Set<String> enums) {
        c = normalise(c);
        if (cast == null) {
            return switch (c) {
                case "int" -> j == int.class;
                case "float" -> j == float.class;
                case "double" -> j == double.class;
                case "int*", "const int*" -> j == int[].class;
                case "float*", "const float*" -> j == float[].class;
                default -> false;
            };
        }
        if (!normalise(cast).equals(c)) return false;
        if (c.equals("cudaStream_t")) return j == long.class;
        if (c.equals("size_t")) return j == long.class;
        if (enums.contains(c)) return j == int.class;
        if (c.endsWith("*")) {
            return j == long.class || j == long[].class || (j == byte[].class && c.endsWith("char*"))
                    || Pointer.class.isAssignableFrom(j);
        }
        return false;
    }

    private static boolean returnCompatible(String c, Method m) {
        Cast cast = m.getAnnotation(Cast.class);
        return switch (c) {
            case "maskrt_status", "int" -> m.getReturnType() == int.class && cast == null;
            case "const char*" -> m.getReturnType() == BytePointer.class && cast != null
                    && normalise(String.join(" ", cast.value())).equals(c);
            default -> false;
        };
    }
}
