package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;

/**
 * Compiles and runs every Java snippet of the guided tour in {@code docs/}, on the scalar and the
 * parallel backend, and compares what it prints with the text block that follows it, so the tour
 * cannot drift from the code.
 *
 * <p>A snippet is a fenced {@code java} block whose first line is {@code // snippet: <name>}. It is
 * the body of a method that may throw; import lines at its top are kept, and {@link #IMPORTS} are
 * added. The next fenced block, after nothing but blank lines, must be a {@code text} block: the
 * exact output, compared line by line after trailing spaces are removed. A snippet that does not
 * compile, throws, or prints something else fails with the file and line of the snippet (and of the
 * offending line, for compile errors and exceptions). The compiler sees the test class path, which
 * holds every module of the build, and the snippet runs in this JVM, with the backend made current
 * by {@link Backends#use(Backend)}.
 */
class TourSnippetsTests {
    /** The directory of the tour, seen from the demos module (Maven runs tests there). */
    static final Path DOCS = Path.of("..", "docs").toAbsolutePath().normalize();
    /** What every snippet may use without importing it; docs/README.md lists the same. */
    static final List<String> IMPORTS = List.of("java.util.*", "org.minidiffusion.core.api.*",
            "org.minidiffusion.nn.*", "org.minidiffusion.nn.optim.*", "org.minidiffusion.diffusion.*",
            "org.minidiffusion.diffusion.unet.*", "org.minidiffusion.diffusion.train.*");
    /** The tour's snippets, at least; fewer means a chapter went missing or the parser broke. */
    private static final int MIN_SNIPPETS = 29;
    private static final String MARKER = "// snippet: ";
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    private static Path work;
    private static StandardJavaFileManager files;
    /** The loaders of the compiled snippets, open until the end: a snippet's local classes load lazily. */
    private static final List<URLClassLoader> LOADERS = new ArrayList<>();
    private static int compiled;

    /**
     * One snippet and the output it must print.
     *
     * @param file         the Markdown file, for messages
     * @param name         the name after the marker
     * @param line         the 1-based line of the snippet's first code line (the marker)
     * @param code         the snippet's lines
     * @param expected     the lines of the text block
     * @param expectedLine the 1-based line of the text block's opening fence
     */
    record Snippet(String file, String name, int line, List<String> code, List<String> expected, int expectedLine) {
        String where() {
            return file + ":" + line;
        }
    }

    @BeforeAll
    static void setUp() throws IOException {
        work = Files.createTempDirectory("tour-snippets");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "the tests need a JDK's compiler (javax.tools), not a JRE");
        files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
    }

    @AfterAll
    static void tearDown() throws IOException {
        for (URLClassLoader loader : LOADERS) {
            loader.close();
        }
        files.close();
        try (Stream<Path> all = Files.walk(work)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    // ------------------------------------------------------------------ the tour

    @TestFactory
    Stream<DynamicTest> everySnippetPrintsItsExpectedOutput() throws IOException {
        List<Snippet> snippets = tourSnippets();
        List<String> backends = new ArrayList<>(List.of("scalar"));
        if (Backends.available().stream().anyMatch(b -> b.id().equals("parallel"))) {
            backends.add("parallel");
        }
        Map<Snippet, Class<?>> classes = new HashMap<>();
        return snippets.stream().flatMap(s -> backends.stream().map(id -> DynamicTest.dynamicTest(
                s.where() + " " + s.name() + " on " + id,
                () -> check(s, Backends.get(id), classes.computeIfAbsent(s, TourSnippetsTests::compile)))));
    }

    @Test
    void theTourHasItsSnippetsWithUniqueNames() throws IOException {
        List<Snippet> snippets = tourSnippets();
        assertTrue(snippets.size() >= MIN_SNIPPETS, "expected at least " + MIN_SNIPPETS + " snippets in " + DOCS
                + ", found " + snippets.size());
        Set<String> names = new HashSet<>();
        for (Snippet s : snippets) {
            assertTrue(names.add(s.name()), s.where() + ": the snippet name '" + s.name() + "' is used twice");
        }
    }

    @Test
    void everyRelativeLinkOfTheTourExists() throws IOException {
        Pattern link = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");
        for (Path md : markdownFiles()) {
            List<String> lines = Files.readAllLines(md);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = link.matcher(lines.get(i));
                while (m.find()) {
                    String target = m.group(1);
                    if (!target.contains("://") && !target.startsWith("mailto:")) {
                        assertTrue(Files.exists(md.getParent().resolve(target)),
                                "docs/" + md.getFileName() + ":" + (i + 1) + ": the link target " + target
                                        + " does not exist");
                    }
                }
            }
        }
    }

    private static List<Snippet> tourSnippets() throws IOException {
        List<Snippet> all = new ArrayList<>();
        for (Path md : markdownFiles()) {
            all.addAll(parse("docs/" + md.getFileName(), Files.readAllLines(md, StandardCharsets.UTF_8)));
        }
        return all;
    }

    private static List<Path> markdownFiles() throws IOException {
        assertTrue(Files.isDirectory(DOCS), "no tour at " + DOCS);
        try (Stream<Path> list = Files.list(DOCS)) {
            return list.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        }
    }

    // ------------------------------------------------------------------ the harness can fail

    @Test
    void aSnippetThatPrintsSomethingElseFailsNamingItsLine() {
        Snippet s = parse("x.md", List.of("# x", "", "```java", "// snippet: wrong", "System.out.println(1 + 1);",
                "```", "", "```text", "3", "```")).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> check(s, Backends.get("scalar"), compile(s)));
        assertTrue(e.getMessage().contains("x.md:4") && e.getMessage().contains("x.md:8"), e.getMessage());
        assertTrue(e.getMessage().contains("expected: <3> but was: <2>"), e.getMessage());
    }

    @Test
    void aSnippetThatDoesNotCompileFailsNamingTheLine() {
        Snippet s = parse("x.md", List.of("```java", "// snippet: broken", "int a = 1;", "String b = a;", "```",
                "```text", "```")).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> compile(s));
        assertTrue(e.getMessage().contains("x.md:4: ") && e.getMessage().contains("incompatible types"),
                e.getMessage());
    }

    @Test
    void aSnippetThatThrowsFailsNamingTheLine() {
        Snippet s = parse("x.md", List.of("```java", "// snippet: throws", "import java.nio.file.Path;",
                "Path p = Path.of(\"x\");", "Tensor t = Tensor.zeros(2, 3);", "t.reshape(4);", "```", "```text",
                "```")).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> check(s, Backends.get("scalar"), compile(s)));
        assertTrue(e.getMessage().contains("x.md:6") && e.getMessage().contains("ShapeException"), e.getMessage());
    }

    @Test
    void aSnippetWithoutMarkerOrExpectedOutputOrWithAnotherFenceIsRefused() {
        AssertionError noMarker = assertThrows(AssertionError.class,
                () -> parse("x.md", List.of("```java", "int a = 1;", "```", "```text", "```")));
        assertTrue(noMarker.getMessage().startsWith("x.md:2: "), noMarker.getMessage());
        AssertionError noOutput = assertThrows(AssertionError.class,
                () -> parse("x.md", List.of("```java", "// snippet: a", "```", "text", "```text", "```")));
        assertTrue(noOutput.getMessage().startsWith("x.md:1: "), noOutput.getMessage());
        AssertionError otherFence = assertThrows(AssertionError.class,
                () -> parse("x.md", List.of("", "``` Java", "// snippet: a", "```", "```text", "```")));
        assertTrue(otherFence.getMessage().startsWith("x.md:2: "), otherFence.getMessage());
    }

    // ------------------------------------------------------------------ extract, compile, run

    /** Returns the snippets of one Markdown file, checking that each has a name and an expected output. */
    static List<Snippet> parse(String file, List<String> lines) {
        List<Snippet> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String fence = lines.get(i).strip();
            if (fence.startsWith("```") && fence.toLowerCase(Locale.ROOT).contains("java") && !fence.equals("```java")) {
                fail(file + ":" + (i + 1) + ": write a Java snippet's fence as ```java, so that it is tested; got "
                        + fence);
            }
            if (!fence.equals("```java")) {
                continue;
            }
            int open = i;
            List<String> code = block(file, lines, open);
            i = open + code.size() + 1;
            String first = code.isEmpty() ? "" : code.get(0).strip();
            if (!first.startsWith(MARKER) || !NAME.matcher(first.substring(MARKER.length()).strip()).matches()) {
                fail(file + ":" + (open + 2) + ": a java block must start with '" + MARKER
                        + "<name>' (lower case, digits and dashes), got '" + first + "'");
            }
            int next = i + 1;
            while (next < lines.size() && lines.get(next).isBlank()) {
                next++;
            }
            if (next >= lines.size() || !lines.get(next).strip().equals("```text")) {
                fail(file + ":" + (open + 1) + ": the snippet must be followed by a ```text block of its output");
            }
            List<String> expected = block(file, lines, next);
            i = next + expected.size() + 1;
            out.add(new Snippet(file, first.substring(MARKER.length()).strip(), open + 2, code, expected, next + 1));
        }
        return out;
    }

    /** Returns the lines between the fence at {@code open} and its closing fence. */
    private static List<String> block(String file, List<String> lines, int open) {
        for (int j = open + 1; j < lines.size(); j++) {
            if (lines.get(j).strip().equals("```")) {
                return lines.subList(open + 1, j);
            }
        }
        throw new AssertionError(file + ":" + (open + 1) + ": the fenced block is not closed");
    }

    private static String className(Snippet s) {
        return "Snippet_" + s.name().replace('-', '_');
    }

    /**
     * Compiles a snippet as {@code public static void run()} of a class of its own, whose source
     * line {@code k + 2} is the snippet's line {@code k}: line 1 holds the default imports, the
     * class header is prepended to the first line after the snippet's imports.
     */
    static Class<?> compile(Snippet s) {
        StringBuilder src = new StringBuilder();
        IMPORTS.forEach(i -> src.append("import ").append(i).append("; "));
        src.append('\n');
        int body = 0;
        for (int k = 0; k < s.code().size(); k++) {
            String strip = s.code().get(k).strip();
            if (strip.startsWith("import ")) {
                body = k + 1;
            } else if (!strip.isEmpty() && !strip.startsWith("//")) {
                break;
            }
        }
        for (int k = 0; k < s.code().size(); k++) {
            if (k == body) {
                src.append("public class ").append(className(s)).append(" { public static void run() throws Exception { ");
            }
            src.append(s.code().get(k)).append('\n');
        }
        src.append("}}\n");
        try {
            Path dir = Files.createDirectories(work.resolve("snippet" + (++compiled)));
            Path source = dir.resolve(className(s) + ".java");
            Files.writeString(source, src, StandardCharsets.UTF_8);
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> options = List.of("-classpath", classPath, "-d", dir.toString(), "-proc:none",
                    "-encoding", "UTF-8", "--release", "17");
            boolean ok = ToolProvider.getSystemJavaCompiler().getTask(null, files, diagnostics, options, null,
                    files.getJavaFileObjects(source.toFile())).call();
            if (!ok) {
                String errors = diagnostics.getDiagnostics().stream()
                        .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                        .map(d -> s.file() + ":" + markdownLine(s, (int) d.getLineNumber()) + ": "
                                + d.getMessage(Locale.ROOT))
                        .collect(Collectors.joining("\n"));
                throw new AssertionError(s.where() + ": snippet '" + s.name() + "' does not compile:\n" + errors);
            }
            URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                    TourSnippetsTests.class.getClassLoader());
            LOADERS.add(loader);
            return loader.loadClass(className(s));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(s.where() + ": compiled, but " + className(s) + " is missing", e);
        }
    }

    /** The Markdown line of a line of the generated source. */
    private static int markdownLine(Snippet s, int sourceLine) {
        return sourceLine <= 1 ? s.line() : s.line() + sourceLine - 2;
    }

    /** Runs a compiled snippet with {@code backend} current and compares its output with the text block. */
    static void check(Snippet s, Backend backend, Class<?> compiled) throws Exception {
        Method run = compiled.getMethod("run");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (Backends.Scope scope = Backends.use(backend);
             PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            run.invoke(null);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            String at = s.where();
            for (StackTraceElement frame : cause.getStackTrace()) {
                if ((className(s) + ".java").equals(frame.getFileName())) {
                    at = s.file() + ":" + markdownLine(s, frame.getLineNumber());
                    break;
                }
            }
            throw new AssertionError(at + ": snippet '" + s.name() + "' threw on backend " + backend.id() + ": "
                    + cause + "\nit printed:\n" + bytes.toString(StandardCharsets.UTF_8), cause);
        } finally {
            System.setOut(original);
        }
        String printed = normalise(bytes.toString(StandardCharsets.UTF_8).lines().toList());
        assertEquals(normalise(s.expected()), printed, s.where() + ": snippet '" + s.name() + "' on backend "
                + backend.id() + " printed something else than the text block at " + s.file() + ":"
                + s.expectedLine() + "; it printed:\n" + printed + "\n");
    }

    private static String normalise(List<String> lines) {
        List<String> kept = lines.stream().map(String::stripTrailing).toList();
        int from = 0;
        int to = kept.size();
        while (from < to && kept.get(from).isEmpty()) {
            from++;
        }
        while (to > from && kept.get(to - 1).isEmpty()) {
            to--;
        }
        return String.join("\n", kept.subList(from, to));
    }
}
