package aranya.sync.graph;

import java.util.List;
import java.util.Objects;

/** A command's parents: none (init only), one, or two (merge commands only). */
public sealed interface Prior {
    /** {@return the parents, in declaration order} */
    List<Address> addresses();

    /** {@return the max cut of a command with these parents: 0 for none, else 1 + the largest parent's} */
    default long childMaxCut() {
        return switch (this) {
            case None n -> 0;
            case Single(Address p) -> Math.addExact(p.maxCut(), 1);
            case Merge(Address l, Address r) -> Math.addExact(Math.max(l.maxCut(), r.maxCut()), 1);
        };
    }

    /** The only parentless command is a graph's init command. */
    record None() implements Prior {
        @Override
        public List<Address> addresses() {
            return List.of();
        }
    }

    /**
     * One parent: every command but the init command and merges.
     *
     * @param parent the command this one follows
     */
    record Single(Address parent) implements Prior {
        /** Checks that the parent is not null. */
        public Single {
            Objects.requireNonNull(parent, "parent");
        }

        @Override
        public List<Address> addresses() {
            return List.of(parent);
        }
    }

    /**
     * Two parents: merge commands only.
     *
     * @param left one parent
     * @param right the other, with a different id
     */
    record Merge(Address left, Address right) implements Prior {
        /** Checks that the parents differ. */
        public Merge {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
            if (left.id().equals(right.id())) {
                throw new IllegalArgumentException("a merge needs two distinct parents, got " + left + " twice");
            }
        }

        @Override
        public List<Address> addresses() {
            return List.of(left, right);
        }
    }

    /** The single shared {@link None}. */
    Prior NONE = new None();
}
