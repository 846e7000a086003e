package aranya.sync;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: a separate JVM, for what must not happen in the test's own (a SIGKILL, a
 * {@code System.exit}) and for the command line as users run it. It runs on the java binary
 * and the module path of this test run, so the child loads exactly the classes under test.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** The module's own main class, without test classes: {@code java -p … -m aranya.sync/mainClass args}. */
    public static ProcessBuilder module(String mainClass, List<String> args) {
        List<String> command = new ArrayList<>(List.of(java(), "-p", modulePath(), "-m", "aranya.sync/" + mainClass));
        command.addAll(args);
        return new ProcessBuilder(command);
    }

    /**
     * A main class of the test tree, inside the module: the test classes are patched into it,
     * as surefire does for the tests themselves.
     */
    public static ProcessBuilder test(Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "-p", modulePath(),
                "--patch-module", "aranya.sync=" + location(mainClass), "-m", "aranya.sync/" + mainClass.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** The module path of this test run: the module under test and its dependencies. */
    private static String modulePath() {
        String path = System.getProperty("jdk.module.path");
        if (path == null) {
            throw new IllegalStateException("the tests do not run on the module path; a child JVM could not find the module");
        }
        return path;
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("no file location for " + c, e);
        }
    }
}
