package aranya.sync.cli;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * A failure in words a user knows: the message of the exception and of each cause that adds
 * something, so that "cannot store a batch" keeps its "No space left on device", and a file
 * the JDK names only by its path says "permission denied".
 */
final class Failures {
    /** How deep a cause chain is followed. */
    private static final int MAX_CAUSES = 8;

    private Failures() {}

    static String describe(Throwable failure) {
        StringBuilder text = new StringBuilder(own(failure));
        Throwable cause = failure.getCause();
        for (int i = 0; cause != null && cause != failure && i < MAX_CAUSES; i++, cause = cause.getCause()) {
            String more = own(cause);
            if (!more.isEmpty() && !text.toString().contains(more)) {
                text.append(": ").append(more);
            }
        }
        String all = text.toString();
        if (all.contains("No space left on device") || all.contains("Disk quota exceeded")) {
            text.append(" (the disk is full)");
        }
        if (failure instanceof SyncException s && s.error() == SyncError.AUTH_FAILED) {
            text.append(" (do both nodes hold the same team secret? compare 'aranya-sync team export' on each)");
        }
        return text.toString();
    }

    /** One exception's own words, without its causes. */
    private static String own(Throwable e) {
        return switch (e) {
            case AccessDeniedException a -> "permission denied: " + fileAndReason(a);
            case NoSuchFileException n -> "no such file or directory: " + fileAndReason(n);
            case NotDirectoryException n -> "not a directory: " + fileAndReason(n);
            case FileAlreadyExistsException f -> "already exists: " + fileAndReason(f);
            case FileSystemException f -> fileAndReason(f);
            case SyncException s -> s.getMessage();
            case java.io.IOException io -> io.getMessage() == null ? io.getClass().getSimpleName() : io.getMessage();
            case IllegalArgumentException r -> r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
            case IllegalStateException r -> r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        };
    }

    private static String fileAndReason(FileSystemException e) {
        String text = e.getFile() == null ? "" : e.getFile();
        if (e.getOtherFile() != null) {
            text += " -> " + e.getOtherFile();
        }
        return e.getReason() == null ? text : text + ": " + e.getReason();
    }
}
