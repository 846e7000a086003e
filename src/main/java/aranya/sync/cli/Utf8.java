package aranya.sync.cli;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Strict UTF-8: text that is not valid is refused or shown as bytes, never silently replaced. */
final class Utf8 {
    private Utf8() {}

    /** The text, if bytes are valid UTF-8. */
    static Optional<String> decode(byte[] bytes) {
        return invalidAt(bytes) < 0 ? Optional.of(new String(bytes, StandardCharsets.UTF_8)) : Optional.empty();
    }

    /** Refuses bytes that are not UTF-8, naming source and where the first bad byte is. */
    static void require(byte[] bytes, String source) {
        int at = invalidAt(bytes);
        if (at >= 0) {
            throw new IllegalArgumentException(source + " is not valid UTF-8 (at byte " + at + ")");
        }
    }

    /** The offset of the first byte that is not valid UTF-8, or -1. */
    private static int invalidAt(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, CharBuffer.allocate(bytes.length), true);
        return result.isError() ? in.position() : -1;
    }
}
