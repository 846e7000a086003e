package aranya.sync.graph.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A graph log that is damaged where a crash cannot have damaged it: bytes after the damage
 * were acknowledged, so the store refuses to open (damage in the log's tail, checked at open)
 * or to append (damage its background check found) rather than cut them off. The log is left
 * as it was; {@link FileStorageProvider#repair} keeps what precedes the damage and moves the
 * rest aside.
 */
public final class CorruptLogException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** The byte offset of the first damaged record. */
    private final long offset;

    CorruptLogException(Path file, long offset, String message) {
        super(message);
        this.file = file;
        this.offset = offset;
    }

    /** {@return the damaged log} */
    public Path file() {
        return file;
    }

    /** {@return the byte offset in the log of the first record that is not intact (0: the file header)} */
    public long offset() {
        return offset;
    }
}
