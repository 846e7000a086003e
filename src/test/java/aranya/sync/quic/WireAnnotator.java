package aranya.sync.quic;

import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.wire.PostcardReader;
import aranya.sync.wire.SessionId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Annotates the bytes of framed sync and auth messages field by field, for the worked examples
 * of docs/protocol.md. It walks the bytes with its own reading of the layout that document
 * gives (not with {@code MessageCodec}), and fails unless every byte of a message is covered:
 * so an example whose bytes did not follow the documented layout could not be printed.
 */
final class WireAnnotator {
    private static final int ROW = 16;
    private static final int HEX_COLUMN = 3 * ROW + 1;
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private final StringBuilder out = new StringBuilder();
    private int frames;

    /** A heading line ("# ..."), for a direction change or a remark. */
    WireAnnotator heading(String text) {
        out.append("# ").append(text).append('\n');
        return this;
    }

    /** A line of explanation that carries no bytes. */
    WireAnnotator note(String text) {
        out.append(" ".repeat(HEX_COLUMN)).append(text).append('\n');
        return this;
    }

    /** The annotated text so far. */
    String text() {
        return out.toString();
    }

    /** One frame: its u32 length, then its message annotated by body (nothing for the end frame). */
    void frame(String direction, byte[] message, Body body) throws SyncException {
        frames++;
        byte[] header = ByteBuffer.allocate(4).putInt(message.length).array();
        if (message.length == 0) {
            heading(direction + ", frame " + frames + ": the end frame (no more messages from this side)");
            row(header, 0, 4, "length = 0: end of this side's messages");
            return;
        }
        heading(direction + ", frame " + frames + ": " + body.summary());
        row(header, 0, 4, "length = " + message.length + " (u32 big-endian)");
        Fields fields = new Fields(message);
        body.annotate(fields);
        fields.expectEnd();
    }

    /** A message body: what it is, and how to annotate its fields. */
    interface Body {
        String summary();

        void annotate(Fields fields) throws SyncException;
    }

    /** Bytes that are not a frame (a key derivation input, say), in rows with one label. */
    void bytes(byte[] value, String label) {
        row(value, 0, value.length, label);
    }

    private void row(byte[] bytes, int from, int to, String label) {
        if (from == to) {
            out.append(String.format("%-" + HEX_COLUMN + "s%s%n", "", label));
            return;
        }
        for (int at = from; at < to; at += ROW) {
            String hex = HEX.formatHex(bytes, at, Math.min(to, at + ROW));
            String text = at == from ? label : "";
            out.append((String.format("%-" + HEX_COLUMN + "s%s", hex, text)).stripTrailing()).append('\n');
        }
    }

    /** The fields of one message, read in order; each read prints the bytes it covered. */
    final class Fields {
        private final byte[] message;
        private final PostcardReader reader;

        Fields(byte[] message) {
            this.message = message;
            this.reader = new PostcardReader(message);
        }

        /** The offset of the next field in the message. */
        int offset() {
            return reader.offset();
        }

        int variant(String type, String... names) throws SyncException {
            int at = reader.offset();
            int tag = reader.readVariantIndex();
            if (tag >= names.length) {
                throw new IllegalStateException("variant " + tag + " of " + type + " is not in the document's table");
            }
            print(at, type + "::" + names[tag] + " (variant " + tag + ")");
            return tag;
        }

        long u32(String name) throws SyncException {
            int at = reader.offset();
            long value = reader.readVarU32();
            print(at, name + " = " + value + " (u32 varint)");
            return value;
        }

        long u64(String name) throws SyncException {
            int at = reader.offset();
            long value = reader.readVarU64();
            print(at, name + " = " + Long.toUnsignedString(value) + " (u64 varint)");
            return value;
        }

        long length(String name, String unit) throws SyncException {
            int at = reader.offset();
            long value = reader.readVarU64();
            print(at, name + ": " + value + " " + unit + " (usize varint)");
            return value;
        }

        void session(String name) throws SyncException {
            int at = reader.offset();
            SessionId id = reader.readU128();
            print(at, name + " = 0x" + id + " (u128 varint, " + (reader.offset() - at) + " bytes)");
        }

        /** A Rust Duration: seconds as a u64 varint, then nanoseconds as a u32 varint. */
        void duration(String name) throws SyncException {
            u64(name + ".secs");
            u32(name + ".nanos");
        }

        boolean bool(String name) throws SyncException {
            int at = reader.offset();
            boolean value = reader.readBool();
            print(at, name + " = " + value);
            return value;
        }

        int u8(String label) throws SyncException {
            int at = reader.offset();
            int value = reader.readU8();
            print(at, label);
            return value;
        }

        /** An Aranya id: the byte-string length 0x20, then the 32 bytes. */
        byte[] id(String name) throws SyncException {
            int at = reader.offset();
            byte[] id = reader.readId(bytes -> bytes);
            row(message, at, at + 1, name + ": byte-string length 32");
            row(message, at + 1, reader.offset(), name);
            return id;
        }

        /** A postcard byte string of any length: usize length, then the bytes. */
        Bytes byteString(String name) throws SyncException {
            long length = length(name, "bytes");
            return raw(length, name);
        }

        /** Bytes with no length prefix of their own. */
        Bytes raw(long length, String label) throws SyncException {
            int at = reader.offset();
            Bytes value = reader.readRaw(length);
            row(message, at, reader.offset(), label);
            return value;
        }

        /** A command payload in the signed-content layout of docs/command-format.md. */
        void signedContent(String command, long length) throws SyncException {
            int start = reader.offset();
            u8(command + " payload: signed-content version");
            raw(32, "author Ed25519 public key");
            int kindLength = u8("kind length");
            String kind = new String(raw(kindLength, "").toByteArray(), StandardCharsets.UTF_8);
            relabelLast("kind = \"" + kind + "\" (UTF-8)");
            int fieldsLength = raw(4, "").asReadOnlyBuffer().getInt();
            relabelLast("fields length = " + fieldsLength + " (u32 big-endian)");
            raw(fieldsLength, kind.equals("CreateTeam") ? "fields: the other members' public keys, 32 bytes each" : "fields (the application's bytes)");
            raw(64, "Ed25519 signature");
            if (reader.offset() - start != length) {
                throw new IllegalStateException(command + " payload is " + length + " bytes, its layout covers " + (reader.offset() - start));
            }
        }

        /** A line of explanation between fields. */
        void note(String text) {
            WireAnnotator.this.note(text);
        }

        void expectEnd() throws SyncException {
            reader.expectEnd();
        }

        private void print(int from, String label) {
            row(message, from, reader.offset(), label);
        }

        /** Replaces the label of the last row printed (for values known only after reading them). */
        private void relabelLast(String label) {
            int lastLine = out.lastIndexOf("\n", out.length() - 2) + 1;
            String line = out.substring(lastLine, out.length() - 1);
            String hex = line.length() > HEX_COLUMN ? line.substring(0, HEX_COLUMN).stripTrailing() : line.stripTrailing();
            out.setLength(lastLine);
            out.append(String.format("%-" + HEX_COLUMN + "s%s%n", hex, label));
        }
    }
}
