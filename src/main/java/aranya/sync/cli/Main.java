package aranya.sync.cli;

import aranya.sync.SyncException;
import aranya.sync.control.ControlClient;
import aranya.sync.control.ControlRequest;
import aranya.sync.node.SyncNode;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Entry point of {@code java -m aranya.sync/aranya.sync.cli.Main <command> ...}. Dispatches to
 * the command classes; exits 0 on success, 2 on a usage mistake and 1 on any other failure,
 * each failure with one line on standard error.
 *
 * <p>When a node runs on the data directory (with a control socket: {@code serve}, or an
 * application that asked for one), a command is sent to it and runs there, against the open
 * node, through the same code; otherwise the command opens the directory itself. Either way
 * the output, the errors and the exit code are the same.
 */
public final class Main {
    /** A subcommand of the command line. */
    interface CliCommand {
        /** One line for the command list. */
        String summary();

        /** The full {@code --help} text. */
        String usage();

        /** Runs the command; returns the process exit code. */
        int run(Invocation call) throws Exception;

        /** The options that take a value. */
        default Set<String> valuedOptions() {
            return Set.of("data");
        }

        /** How the command uses the node of {@code --data}. */
        default NodeUse nodeUse() {
            return NodeUse.EXISTING;
        }

        /**
         * What the command reads before it runs (a file or standard input), read where the
         * user runs it, so that a command sent to a running node gets the same bytes.
         */
        default byte[] input(Args args, InputStream stdin) throws IOException {
            return new byte[0];
        }

        /** Whether the command takes --progress, which is implied when standard error is a terminal. */
        default boolean reportsProgress() {
            return false;
        }
    }

    /** How a command uses the node of {@code --data}. */
    enum NodeUse {
        /** Runs on a running node if there is one, else opens the directory, which must hold a node. */
        EXISTING,
        /** As EXISTING, but creates the node if the directory holds none ({@code init}). */
        CREATE,
        /** Opens the directory itself, which must hold a node, and is refused if a node runs there ({@code serve}). */
        EXCLUSIVE,
        /** Uses no data directory ({@code demo}). */
        NONE
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
        // UTF-8 whatever the locale: a C locale would turn every other character into '?'.
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int exit = run(args, System.in, out, err);
        out.flush();
        System.exit(exit);
    }

    /** Runs a command line in this process: on the node that serves its data directory, if one does, else directly. */
    static int run(String[] argv, InputStream in, PrintStream out, PrintStream err) {
        return execute(argv, out, err, (name, command, parsed) -> {
            List<String> sent = new ArrayList<>(List.of(argv));
            if (command.reportsProgress() && Progress.onTerminal() && !parsed.flag("progress")) {
                sent.add("--progress");
            }
            Args args = new Args(sent.subList(1, sent.size()).toArray(String[]::new), command.valuedOptions());
            byte[] input = command.input(args, in);
            if (command.nodeUse() == NodeUse.EXISTING || command.nodeUse() == NodeUse.CREATE) {
                Path data = NodeOptions.dataDirectory(args);
                Optional<Integer> exit = ControlClient.call(data, new ControlRequest(sent, input), out, err);
                if (exit.isPresent()) {
                    out.flush();
                    return exit.get();
                }
            }
            if (command.nodeUse() != NodeUse.NONE && command.nodeUse() != NodeUse.CREATE) {
                NodeOptions.requireNode(NodeOptions.dataDirectory(args));
            }
            try (Invocation call = Invocation.direct(args, out, err, input)) {
                return command.run(call);
            }
        });
    }

    /** Runs a command line sent through the control socket, against node, which serves dataDirectory. */
    static int runOnNode(SyncNode node, Path dataDirectory, ControlRequest request, PrintStream out, PrintStream err) {
        return execute(request.args().toArray(String[]::new), out, err, (name, command, args) -> {
            if (command.nodeUse() == NodeUse.EXCLUSIVE || command.nodeUse() == NodeUse.NONE) {
                throw new IllegalStateException("'" + name + "' cannot run on the node serving " + dataDirectory
                        + "; a directory serves one node at a time");
            }
            try (Invocation call = Invocation.onRunningNode(args, out, err, request.input(), node, dataDirectory)) {
                return command.run(call);
            }
        });
    }

    /** Runs a parsed command line; the part that differs between running here and on a node. */
    private interface Runner {
        int run(String name, CliCommand command, Args args) throws Exception;
    }

    private static int execute(String[] argv, PrintStream out, PrintStream err, Runner runner) {
        try {
            if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
                usage(out);
                return argv.length == 0 ? 2 : 0;
            }
            if (argv[0].equals("--version")) {
                out.println("aranya-sync " + version());
                return 0;
            }
            CliCommand command = COMMANDS.get(argv[0]);
            if (command == null) {
                err.println("aranya-sync: unknown command '" + argv[0] + "' (try --help)");
                return 2;
            }
            String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
            if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
                out.println(command.usage());
                return 0;
            }
            try {
                return runner.run(argv[0], command, new Args(rest, command.valuedOptions()));
            } catch (Args.UsageException e) {
                err.println("aranya-sync " + argv[0] + ": " + e.getMessage() + " (try aranya-sync " + argv[0] + " --help)");
                return 2;
            } catch (Exception e) {
                err.println("aranya-sync " + argv[0] + ": " + Failures.describe(e));
                return 1;
            }
        } finally {
            out.flush();
        }
    }

    /** The module's version, as the build recorded it. */
    static String version() {
        return Optional.ofNullable(Main.class.getModule().getDescriptor())
                .flatMap(d -> d.rawVersion())
                .orElse("(version unknown: not run as a module)");
    }

    private static void usage(PrintStream out) {
        out.println("usage: aranya-sync <command> [options]    (every command takes --data DIR and --help; --version)");
        out.println();
        COMMANDS.forEach((name, c) -> out.printf("  %-8s %s%n", name, c.summary()));
    }
}
