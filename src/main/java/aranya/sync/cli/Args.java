package aranya.sync.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The arguments of one subcommand: positionals, {@code --name value} (or {@code --name=value})
 * options and {@code --flag} switches; after {@code --} everything is positional. Parsed by
 * hand: the command line is small and a library would be the project's only reason to carry one.
 *
 * <p>An argument holding U+FFFD is refused: it is what the JVM makes of bytes that are not
 * valid in the locale's encoding (under {@code LC_ALL=C}, of any non-ASCII byte), so the text
 * the user typed is already lost. {@code bin/aranya-sync} runs Java in a UTF-8 locale.
 */
final class Args {
    private final List<String> positional = new ArrayList<>();
    private final Map<String, List<String>> options = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    /**
     * @param valued the options that take a value; any other {@code --x} is a flag
     */
    Args(String[] args, Set<String> valued) {
        boolean optionsEnd = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.indexOf('\uFFFD') >= 0) {
                throw new UsageException("argument '" + a + "' is not valid UTF-8 (or the locale is not UTF-8;"
                        + " bin/aranya-sync sets one, or pass text with --file or on standard input)");
            }
            if (optionsEnd) {
                positional.add(a);
            } else if (a.equals("--")) {
                optionsEnd = true;
            } else if (a.startsWith("--") && a.indexOf('=') > 2) {
                String name = a.substring(2, a.indexOf('='));
                if (!valued.contains(name)) {
                    throw new UsageException("--" + name + " takes no value");
                }
                options.computeIfAbsent(name, k -> new ArrayList<>()).add(a.substring(a.indexOf('=') + 1));
            } else if (a.startsWith("--")) {
                String name = a.substring(2);
                if (valued.contains(name)) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    options.computeIfAbsent(name, k -> new ArrayList<>()).add(args[++i]);
                } else {
                    flags.add(name);
                }
            } else {
                positional.add(a);
            }
        }
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    Optional<String> option(String name) {
        List<String> values = options.get(name);
        return values == null ? Optional.empty() : Optional.of(values.get(values.size() - 1));
    }

    List<String> options(String name) {
        return options.getOrDefault(name, List.of());
    }

    List<String> positional() {
        return positional;
    }

    /** The i-th positional argument, or a usage error naming it. */
    String positional(int i, String what) {
        if (i >= positional.size()) {
            throw new UsageException("missing " + what);
        }
        return positional.get(i);
    }

    /** Refuses positionals after the first count, naming the first extra one. */
    void allowPositionals(int count) {
        if (positional.size() > count) {
            throw new UsageException("unexpected argument '" + positional.get(count) + "'"
                    + (count == 0 ? "" : " (quote text with spaces)"));
        }
    }

    /** Refuses flags the command does not know. */
    void allowFlags(String... known) {
        Set<String> unknown = new HashSet<>(flags);
        unknown.removeAll(Set.of(known));
        if (!unknown.isEmpty()) {
            throw new UsageException("unknown option --" + unknown.iterator().next());
        }
    }

    /** A mistake in how the command was called: printed with a hint to use --help. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
