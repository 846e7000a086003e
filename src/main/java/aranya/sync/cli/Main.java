package aranya.sync.cli;

import aranya.sync.SyncException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of {@code java -m aranya.sync/aranya.sync.cli.Main <command> ...}. Dispatches to
 * the command classes; exits 0 on success, 2 on a usage mistake and 1 on any other failure,
 * each failure with one line on standard error.
 */
public final class Main {
    /** A subcommand of the command line. */
    interface CliCommand {
        /** One line for the command list. */
        String summary();

        /** The full {@code --help} text. */
        String usage();

        /** Runs the command; returns the process exit code. */
        int run(Args args, PrintStream out) throws Exception;

        /** The options that take a value. */
        default java.util.Set<String> valuedOptions() {
            return java.util.Set.of("data");
        }
    }

    private static final Map<String, CliCommand> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("init", new InitCommand());
        COMMANDS.put("team", new TeamCommand());
        COMMANDS.put("serve", new ServeCommand());
        COMMANDS.put("append", new AppendCommand());
        COMMANDS.put("log", new LogCommand());
        COMMANDS.put("sync", new SyncCommand());
        COMMANDS.put("peer", new PeerCommand());
        COMMANDS.put("status", new StatusCommand());
        COMMANDS.put("repair", new RepairCommand());
        COMMANDS.put("demo", new DemoCommand());
    }

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        CliCommand command = COMMANDS.get(args[0]);
        if (command == null) {
            err.println("aranya-sync: unknown command '" + args[0] + "' (try --help)");
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            out.println(command.usage());
            return 0;
        }
        try {
            return command.run(new Args(rest, command.valuedOptions()), out);
        } catch (Args.UsageException e) {
            err.println("aranya-sync " + args[0] + ": " + e.getMessage() + " (try aranya-sync " + args[0] + " --help)");
            return 2;
        } catch (SyncException | IOException | IllegalArgumentException | IllegalStateException e) {
            err.println("aranya-sync " + args[0] + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("aranya-sync " + args[0] + ": " + e);
            return 1;
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: aranya-sync <command> [options]    (every command takes --data DIR and --help)");
        out.println();
        COMMANDS.forEach((name, c) -> out.printf("  %-8s %s%n", name, c.summary()));
    }
}
