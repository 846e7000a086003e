package aranya.sync.control;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One command line sent to a running node: its arguments (the command name first) and the
 * bytes the client read for it (a file or standard input; empty if none). Encoded as
 * {@code u16 count | (u32 length | UTF-8)* | u32 length | input}, all big-endian, and
 * bounded by {@link #MAX_BYTES} both ways.
 *
 * @param args the arguments, the command name first
 * @param input what the client read for the command
 */
public record ControlRequest(List<String> args, byte[] input) {
    /** The largest encoded request: room for the largest command text with its arguments. */
    public static final int MAX_BYTES = 1 << 20;
    private static final int MAX_ARGS = 4096;

    /** Copies args; checks the count. */
    public ControlRequest {
        args = List.copyOf(args);
        Objects.requireNonNull(input, "input");
        if (args.size() > MAX_ARGS) {
            throw new IllegalArgumentException("more than " + MAX_ARGS + " arguments");
        }
    }

    /** The request's bytes; fails if they would exceed {@link #MAX_BYTES}. */
    byte[] encode() throws IOException {
        List<byte[]> encoded = new ArrayList<>(args.size());
        long size = 2 + 4 + (long) input.length;
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            encoded.add(b);
            size += 4 + b.length;
        }
        if (size > MAX_BYTES) {
            throw new IOException("the command is " + size + " bytes, more than a node takes (" + MAX_BYTES + ")");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).putShort((short) args.size());
        encoded.forEach(b -> out.putInt(b.length).put(b));
        return out.putInt(input.length).put(input).array();
    }

    /** Decodes a request; every length is checked against what is left. */
    static ControlRequest decode(byte[] bytes) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int count = unsigned(in, 2);
        List<String> args = new ArrayList<>(Math.min(count, MAX_ARGS));
        for (int i = 0; i < count; i++) {
            byte[] arg = new byte[unsigned(in, 4)];
            in.get(arg);
            try {
                args.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(arg)).toString());
            } catch (CharacterCodingException e) {
                throw new IOException("argument " + i + " of the request is not UTF-8", e);
            }
        }
        byte[] input = new byte[unsigned(in, 4)];
        in.get(input);
        if (in.hasRemaining()) {
            throw new IOException("request has " + in.remaining() + " bytes after its input");
        }
        return new ControlRequest(args, input);
    }

    /** Reads a 2- or 4-byte length and checks that that many bytes are left. */
    private static int unsigned(ByteBuffer in, int width) throws IOException {
        if (in.remaining() < width) {
            throw new IOException("request truncated at byte " + in.position());
        }
        long value = width == 2 ? Short.toUnsignedInt(in.getShort()) : Integer.toUnsignedLong(in.getInt());
        if (width == 4 && value > in.remaining()) {
            throw new IOException("request claims " + value + " bytes with " + in.remaining() + " left");
        }
        return (int) value;
    }
}
