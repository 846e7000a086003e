package aranya.sync.cli;

import aranya.sync.graph.Command;
import aranya.sync.graph.Priority;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** {@code append}: writes an application command. */
final class AppendCommand implements Main.CliCommand {
    /** The most text one command carries (what is left of a command's content after its signed envelope). */
    static final int MAX_TEXT_BYTES = Command.MAX_CONTENT_BYTES - 512;

    @Override
    public String summary() {
        return "append a command (kind + text) to a team's graph";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync append KIND [TEXT | --file PATH] [--priority N] [--team TEAM] [--data DIR]
                  Signs a command of KIND with TEXT as its fields on top of the team's head. Without
                  TEXT the text is read from PATH (--file; '-' is standard input) or from standard
                  input. Text is UTF-8 (refused if it is not), at most %d bytes; quote TEXT that
                  has spaces. N is a basic priority 0..4294967295 (default 1); higher wins among
                  concurrent commands.""".formatted(MAX_TEXT_BYTES);
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "priority", "file");
    }

    @Override
    public byte[] input(Args args, InputStream stdin) throws IOException {
        args.allowPositionals(2);
        if (args.positional().size() == 2) {
            if (args.option("file").isPresent()) {
                throw new Args.UsageException("give TEXT or --file, not both");
            }
            return new byte[0]; // the text is in the arguments
        }
        String file = args.option("file").orElse("-");
        byte[] text;
        if (file.equals("-")) {
            text = stdin.readNBytes(MAX_TEXT_BYTES + 1);
        } else {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                text = in.readNBytes(MAX_TEXT_BYTES + 1);
            }
        }
        String source = file.equals("-") ? "standard input" : file;
        if (text.length > MAX_TEXT_BYTES) {
            throw new IllegalArgumentException(source + " holds more than " + MAX_TEXT_BYTES + " bytes, the most one command carries");
        }
        Utf8.require(text, source);
        return text;
    }

    @Override
    public int run(Invocation call) throws Exception {
        Args args = call.args();
        args.allowFlags();
        args.allowPositionals(2);
        String kind = args.positional(0, "KIND");
        byte[] text = args.positional().size() == 2 ? args.positional(1, "TEXT").getBytes(StandardCharsets.UTF_8) : call.input();
        if (text.length > MAX_TEXT_BYTES) {
            throw new IllegalArgumentException("TEXT is " + text.length + " bytes, more than the " + MAX_TEXT_BYTES + " one command carries");
        }
        long priority;
        try {
            priority = Long.parseLong(args.option("priority").orElse("1"));
            Priority.basic(priority);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--priority takes a number 0..4294967295");
        }
        Command c = call.node().append(call.team(), Priority.basic(priority), kind, text);
        call.out().println(c.id().toHex());
        return 0;
    }
}
