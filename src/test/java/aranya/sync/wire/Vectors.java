package aranya.sync.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the golden vectors in src/test/resources/vectors (format in its README.md). */
final class Vectors {
    private Vectors() {}

    /** The vectors of one file, by name, in file order. */
    static Map<String, byte[]> load(String file) {
        String text;
        try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + file)) {
            if (in == null) {
                throw new IllegalStateException("no vector file " + file);
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, byte[]> vectors = new LinkedHashMap<>();
        String name = null;
        StringBuilder bytes = new StringBuilder();
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            String content = (hash < 0 ? line : line.substring(0, hash)).stripTrailing();
            if (content.isBlank()) {
                continue;
            }
            if (!Character.isWhitespace(content.charAt(0))) {
                if (name != null) {
                    vectors.put(name, hex(bytes.toString()));
                }
                if (!content.endsWith(":")) {
                    throw new IllegalStateException(file + ": expected 'name:', got " + content);
                }
                name = content.substring(0, content.length() - 1);
                bytes.setLength(0);
            } else {
                bytes.append(' ').append(content);
            }
        }
        if (name != null) {
            vectors.put(name, hex(bytes.toString()));
        }
        return vectors;
    }

    /** Whitespace-separated hex pairs; {@code aa*32} is 32 bytes of {@code aa}. */
    static byte[] hex(String tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String token : tokens.trim().split("\\s+")) {
            if (token.isEmpty()) {
                continue;
            }
            String[] parts = token.split("\\*");
            if (parts[0].length() != 2 || parts.length > 2) {
                throw new IllegalArgumentException("bad byte token " + token);
            }
            int b = HexFormat.fromHexDigits(parts[0]);
            int count = parts.length == 2 ? Integer.parseInt(parts[1]) : 1;
            for (int i = 0; i < count; i++) {
                out.write(b);
            }
        }
        return out.toByteArray();
    }
}
