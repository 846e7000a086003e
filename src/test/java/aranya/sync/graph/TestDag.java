package aranya.sync.graph;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A hand-built DAG with Aranya's test naming: a command's id is its name read as a base58
 * number, left-padded to 32 bytes; its priority is Init without parents, Merge with two,
 * Finalize if declared so, else Basic(last byte of the id) (aranya-runtime's SeqCommand).
 */
final class TestDag implements DagView {
    private static final String BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private final List<String> names = new ArrayList<>();
    private final List<int[]> parents = new ArrayList<>();
    private final List<Priority> priorities = new ArrayList<>();
    private final List<CommandId> ids = new ArrayList<>();
    private final Map<String, Integer> byName = new HashMap<>();

    static CommandId idOf(String name) {
        BigInteger n = BigInteger.ZERO;
        for (char c : name.toCharArray()) {
            int digit = BASE58.indexOf(c);
            if (digit < 0) {
                throw new IllegalArgumentException("not base58: " + name);
            }
            n = n.multiply(BigInteger.valueOf(58)).add(BigInteger.valueOf(digit));
        }
        byte[] raw = n.toByteArray();
        byte[] id = new byte[32];
        int len = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - len, id, 32 - len, len);
        return CommandId.of(id);
    }

    /** Adds a chain: first parent is an existing node, then each name on top of the previous. */
    TestDag chain(String parent, String... chain) {
        String prev = parent;
        for (String name : chain) {
            node(name, false, prev);
            prev = name;
        }
        return this;
    }

    TestDag init(String name) {
        return node(name, false);
    }

    TestDag finalize(String name, String parent) {
        return node(name, true, parent);
    }

    TestDag merge(String name, String left, String right) {
        return node(name, false, left, right);
    }

    private TestDag node(String name, boolean finalize, String... parentNames) {
        if (byName.containsKey(name)) {
            return this; // duplicates are skipped, as in the runtime
        }
        int[] ps = new int[parentNames.length];
        for (int i = 0; i < ps.length; i++) {
            ps[i] = byName.get(parentNames[i]);
        }
        CommandId id = idOf(name);
        Priority p = ps.length == 0 ? Priority.INIT
                : ps.length == 2 ? Priority.MERGE
                : finalize ? Priority.FINALIZE
                : Priority.basic(Byte.toUnsignedInt(id.byteAt(31)));
        byName.put(name, names.size());
        names.add(name);
        parents.add(ps);
        priorities.add(p);
        ids.add(id);
        return this;
    }

    /** The weave from the named head, as Aranya's test prints it: names joined by ':'. */
    String weave(String head) throws aranya.sync.SyncException {
        StringBuilder out = new StringBuilder();
        for (int n : Weave.order(this, byName.get(head))) {
            out.append(out.isEmpty() ? "" : ":").append(names.get(n));
        }
        return out.toString();
    }

    @Override
    public int parentCount(int node) {
        return parents.get(node).length;
    }

    @Override
    public int parent(int node, int k) {
        return parents.get(node)[k];
    }

    @Override
    public Priority priority(int node) {
        return priorities.get(node);
    }

    @Override
    public CommandId id(int node) {
        return ids.get(node);
    }
}
