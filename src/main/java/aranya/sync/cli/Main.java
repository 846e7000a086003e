package aranya.sync.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Entry point of {@code java -m aranya.sync/aranya.sync.cli.Main <command> ...}. Parses only
 * the command name and hands the rest to the command; exits non-zero with a one-line error
 * when a command fails.
 */
public final class Main {
    /** A subcommand of the command line. */
    interface CliCommand {
        String summary();

        /** Runs the command; returns the process exit code. */
        int run(String[] args, PrintStream out) throws Exception;
    }

    private static final Map<String, CliCommand> COMMANDS = new TreeMap<>(Map.of(
            "demo", new DemoCommand()));

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        CliCommand command = COMMANDS.get(args[0]);
        if (command == null) {
            err.println("aranya-sync: unknown command '" + args[0] + "' (see --help)");
            return 2;
        }
        try {
            return command.run(Arrays.copyOfRange(args, 1, args.length), out);
        } catch (Exception e) {
            err.println("aranya-sync " + args[0] + ": " + e.getMessage());
            return 1;
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: aranya-sync <command> [options]");
        out.println();
        COMMANDS.forEach((name, c) -> out.printf("  %-10s %s%n", name, c.summary()));
    }
}
