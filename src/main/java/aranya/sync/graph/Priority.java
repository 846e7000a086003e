package aranya.sync.graph;

/**
 * A command's priority in the braid: {@code Merge < Basic(n) < Finalize < Init}, and basic
 * priorities by their unsigned 32-bit value (Aranya's declaration order).
 */
public sealed interface Priority extends Comparable<Priority> {
    /** The priority of merge commands. */
    Priority MERGE = new Merge();
    /** The priority of finalize commands. */
    Priority FINALIZE = new Finalize();
    /** The priority of the init command. */
    Priority INIT = new Init();

    /**
     * {@return a basic priority; value is an unsigned 32-bit integer}
     *
     * @param value from 0 to 2<sup>32</sup> - 1
     */
    static Priority basic(long value) {
        return new Basic(value);
    }

    /** The priority of merge commands, the lowest. */
    record Merge() implements Priority {
        @Override
        public String toString() {
            return "Merge";
        }
    }

    /**
     * An ordinary command's priority.
     *
     * @param value an unsigned 32-bit integer; among concurrent commands, higher comes first
     */
    record Basic(long value) implements Priority {
        /** Checks that the value is an unsigned 32-bit integer. */
        public Basic {
            if (value < 0 || value > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("a basic priority is a u32, got " + value);
            }
        }

        @Override
        public String toString() {
            return "Basic(" + value + ")";
        }
    }

    /** The priority of finalize commands, above every basic priority. */
    record Finalize() implements Priority {
        @Override
        public String toString() {
            return "Finalize";
        }
    }

    /** The priority of the init command, the highest. */
    record Init() implements Priority {
        @Override
        public String toString() {
            return "Init";
        }
    }

    /** {@return position of the variant in Aranya's declaration order (also its postcard tag)} */
    default int rank() {
        return switch (this) {
            case Merge m -> 0;
            case Basic b -> 1;
            case Finalize f -> 2;
            case Init i -> 3;
        };
    }

    @Override
    default int compareTo(Priority other) {
        int c = Integer.compare(rank(), other.rank());
        if (c == 0 && this instanceof Basic(long a) && other instanceof Basic(long b)) {
            return Long.compare(a, b);
        }
        return c;
    }
}
