package aranya.sync.graph.storage;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.Prior;
import aranya.sync.graph.Priority;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The on-disk encoding of a batch of commands (the body of one log record). Fixed-width
 * big-endian fields; every length is checked against the record before it is used.
 * <pre>
 *   batch   = u32 count, command*
 *   command = id[32] | u8 priority rank [u32 basic value] | u8 parent count (0..2)
 *             | (id[32] u64 maxCut)* | u32 policy length | policy | u32 payload length | payload
 * </pre>
 */
final class CommandRecords {
    /** The shortest body: a batch of no commands, its count alone. */
    static final int MIN_BODY = 4;
    /** The shortest command: id, a priority rank without a basic value, no parents, empty policy and payload. */
    private static final int MIN_COMMAND = 32 + 1 + 1 + 4 + 4;
    /** How much of a body {@link #plausibleStart} looks at: count, id, rank, basic value, parent count. */
    static final int PLAUSIBLE_PREFIX = 4 + 32 + 1 + 4 + 1;

    private CommandRecords() {}

    /**
     * Whether a body of length bytes that starts with head (its first
     * {@code min(length, PLAUSIBLE_PREFIX)} bytes) can be a batch: its count fits the length,
     * and the first command's priority rank and parent count are in range. Every body
     * {@link #encode} writes passes; at a random offset of a log almost nothing does, which
     * lets a search for intact records skip offsets without checksumming a body.
     */
    static boolean plausibleStart(ByteBuffer head, int length) {
        int count = head.getInt(0);
        if (count == 0) {
            return length == MIN_BODY;
        }
        if (count < 0 || count > (length - MIN_BODY) / MIN_COMMAND) {
            return false;
        }
        int rank = Byte.toUnsignedInt(head.get(4 + 32));
        return rank <= 3 && Byte.toUnsignedInt(head.get(rank == 1 ? 4 + 32 + 1 + 4 : 4 + 32 + 1)) <= 2;
    }

    static byte[] encode(List<Command> batch) {
        return encode(batch, new int[batch.size()]);
    }

    /** Encodes a batch, writing where each command starts in the body into offsets. */
    static byte[] encode(List<Command> batch, int[] offsets) {
        int size = 4;
        for (Command c : batch) {
            size += 32 + 5 + 1 + 40 * c.parent().addresses().size() + 8 + c.policy().length() + c.payload().length();
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.putInt(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Command c = batch.get(i);
            offsets[i] = out.position();
            out.put(c.id().toByteArray());
            out.put((byte) c.priority().rank());
            if (c.priority() instanceof Priority.Basic(long v)) {
                out.putInt((int) v);
            }
            List<Address> parents = c.parent().addresses();
            out.put((byte) parents.size());
            for (Address p : parents) {
                out.put(p.id().toByteArray()).putLong(p.maxCut());
            }
            out.putInt(c.policy().length());
            c.policy().writeTo(out);
            out.putInt(c.payload().length());
            c.payload().writeTo(out);
        }
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    /** Receives decoded commands with where each starts in the body. */
    @FunctionalInterface
    interface Sink {
        void accept(Command command, int offset);
    }

    /** Decodes a batch whose checksum already matched; a mismatch here is corruption, not a torn write. */
    static void decode(ByteBuffer in, java.util.function.Consumer<Command> sink) throws IOException {
        decodeWithOffsets(in, (command, offset) -> sink.accept(command));
    }

    /** As {@link #decode(ByteBuffer, java.util.function.Consumer)}, with each command's offset from the buffer's start. */
    static void decodeWithOffsets(ByteBuffer in, Sink sink) throws IOException {
        int start = in.position();
        try {
            int count = in.getInt();
            if (count < 0) {
                // A u32 count of 2^31 or more would otherwise run no loop and pass as an empty batch.
                throw new IOException("stored batch claims " + Integer.toUnsignedString(count) + " commands");
            }
            for (int i = 0; i < count; i++) {
                int offset = in.position() - start;
                sink.accept(command(in), offset);
            }
            if (in.hasRemaining()) {
                throw new IOException("stored batch has " + in.remaining() + " trailing bytes");
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new IOException("stored batch does not decode", e);
        }
    }

    /**
     * Decodes the one command at the buffer's position (read back by its locator).
     *
     * @throws BufferUnderflowException if the buffer ends inside it: read more and try again
     */
    static Command decodeOne(ByteBuffer in) throws IOException {
        try {
            return command(in);
        } catch (IllegalArgumentException e) {
            throw new IOException("stored command does not decode", e);
        }
    }

    private static Command command(ByteBuffer in) throws IOException {
        CommandId id = CommandId.of(bytes(in, 32));
        int rank = Byte.toUnsignedInt(in.get());
        Priority priority = switch (rank) {
            case 0 -> Priority.MERGE;
            case 1 -> Priority.basic(Integer.toUnsignedLong(in.getInt()));
            case 2 -> Priority.FINALIZE;
            case 3 -> Priority.INIT;
            default -> throw new IOException("stored command has priority rank " + rank);
        };
        int parentCount = Byte.toUnsignedInt(in.get());
        Prior parent = switch (parentCount) {
            case 0 -> Prior.NONE;
            case 1 -> new Prior.Single(address(in));
            case 2 -> new Prior.Merge(address(in), address(in));
            default -> throw new IOException("stored command has " + parentCount + " parents");
        };
        Bytes policy = Bytes.of(bytes(in, length(in)));
        Bytes payload = Bytes.of(bytes(in, length(in)));
        return new Command(id, priority, parent, policy, payload);
    }

    private static Address address(ByteBuffer in) throws IOException {
        CommandId id = CommandId.of(bytes(in, 32));
        long maxCut = in.getLong();
        if (maxCut < 0) {
            throw new IOException("stored address has max cut " + maxCut);
        }
        return new Address(id, maxCut);
    }

    private static int length(ByteBuffer in) throws IOException {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IOException("stored length " + Integer.toUnsignedString(n) + " exceeds the " + in.remaining() + " bytes left");
        }
        return n;
    }

    private static byte[] bytes(ByteBuffer in, int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }
}
