package aranya.sync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a script uses it, each command in its own JVM: exit codes, input, encodings, errors. */
class CliScriptingTest {
    private static final Map<String, String> C_LOCALE = Map.of("LC_ALL", "C", "LANG", "C");

    @TempDir
    Path dir;

    @Test
    void aMistypedDataDirectoryFailsAndCreatesNothing() throws Exception {
        Path typo = dir.resolve("typo");
        for (String[] command : List.of(new String[] {"status"}, new String[] {"log"}, new String[] {"append", "note", "x"},
                new String[] {"serve"}, new String[] {"peer", "list"}, new String[] {"team", "export"})) {
            CliRun r = CliRun.expect(1, typo, command);
            assertThat(r.err()).as(String.join(" ", command)).contains("holds no aranya-sync node", "init");
            assertThat(r.err().lines()).hasSize(1);
        }
        assertThat(typo).doesNotExist();
        assertThat(CliRun.expect(0, typo, "init").out()).contains("device public key");
        assertThat(typo.resolve("device.key")).exists();
    }

    @Test
    void usageMistakesExitTwoAndOptionsTakeEqualsValues() throws Exception {
        Path data = dir.resolve("node");
        CliRun.expect(0, data, "init");
        CliRun.expect(0, data, "team", "create");
        assertThat(CliRun.expect(2, data, "sync", "localhost").err()).contains("host:port");
        assertThat(CliRun.expect(2, data, "sync", "127.0.0.1:99999").err()).contains("port");
        assertThat(CliRun.expect(2, data, "append", "note", "hello", "world").err()).contains("unexpected argument 'world'");
        assertThat(CliRun.expect(2, data, "log", "--limit", "x").err()).contains("--limit");
        assertThat(CliRun.expect(2, data, "frobnicate").err()).contains("unknown command");
        assertThat(CliRun.expect(0, data, "--version").out()).startsWith("aranya-sync 0.");
        // --data=DIR and --priority=N, and text after -- that looks like an option
        CliRun.expect(0, null, "append", "--data=" + data, "note", "--priority=7", "--", "--not-an-option");
        Map<String, Object> last = JsonParser.object(CliRun.expect(0, data, "log", "--json", "--limit=1").out());
        assertThat(last).containsEntry("text", "--not-an-option").containsEntry("priority_value", 7L);
    }

    @Test
    void utf8RoundTripsUnderACLocaleAndInvalidUtf8IsRefused() throws Exception {
        Path data = dir.resolve("node");
        CliRun.expect(0, data, "init");
        CliRun.expect(0, data, "team", "create");
        String text = "größer als 1 € — 東京 🚀\nsecond line";
        Path file = dir.resolve("text.txt");
        Files.writeString(file, text, StandardCharsets.UTF_8);

        assertThat(CliRun.run(data, C_LOCALE, new byte[0], "append", "note", "--file", file.toString()).exit()).isZero();
        assertThat(CliRun.run(data, C_LOCALE, text.getBytes(StandardCharsets.UTF_8), "append", "stdin").exit()).isZero();
        CliRun log = CliRun.run(data, C_LOCALE, new byte[0], "log", "--json", "--limit", "2");
        assertThat(log.exit()).isZero();
        assertThat(log.lines()).map(JsonParser::object).extracting(c -> c.get("text")).containsExactly(text, text);
        assertThat(CliRun.run(data, C_LOCALE, new byte[0], "log", "--limit", "1").out()).contains("größer als 1 € — 東京 🚀");

        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, "gr\u00f6\u00dfer".getBytes(StandardCharsets.ISO_8859_1));
        CliRun refused = CliRun.run(data, C_LOCALE, new byte[0], "append", "note", "--file", latin1.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("not valid UTF-8", "at byte 2");
        CliRun stdin = CliRun.run(data, Map.of(), new byte[] {'a', (byte) 0xff}, "append", "note");
        assertThat(stdin.exit()).isEqualTo(1);
        assertThat(stdin.err()).contains("standard input is not valid UTF-8");
        // Under a C locale the JVM has already replaced a non-ASCII argument: refused, not stored mangled.
        CliRun argument = CliRun.run(data, C_LOCALE, new byte[0], "append", "note", "größer");
        assertThat(argument.exit()).isEqualTo(2);
        assertThat(argument.err()).contains("not valid UTF-8", "--file");
        assertThat(CliRun.expect(0, data, "log").lines()).hasSize(4).last().asString().startsWith("heads ["); // three commands, the heads
    }

    @Test
    void aStorageFailureSaysItsCause() throws Exception {
        Path data = dir.resolve("node");
        CliRun.expect(0, data, "init");
        String team = CliRun.expect(0, data, "team", "create").field("team");
        // Root passes any permission check, so the graph's log file is made a directory instead.
        Path graph = data.resolve("graphs").resolve(team + ".graph");
        Files.delete(graph);
        Files.createDirectory(graph);
        CliRun r = CliRun.expect(1, data, "status");
        assertThat(r.err()).contains(graph.toString(), "Is a directory");
    }
}
