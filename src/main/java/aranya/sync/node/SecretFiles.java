package aranya.sync.node;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** Keys and team secrets at rest: owner-only files, written atomically, checked when read. */
final class SecretFiles {
    private static final System.Logger LOG = System.getLogger(SecretFiles.class.getName());
    /** Permissions that let someone other than the owner read or change a file (ssh's 077). */
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecretFiles() {}

    /** Writes bytes to file, readable and writable by the owner only, replacing it atomically. */
    static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system: the directory's protection applies
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot create " + tmp, e);
        }
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Reads a key, identity or secret file, which must be a regular file that only its owner
     * may access, and exactly length bytes long (any length if length is negative).
     *
     * @param what what the file holds, for the error ("team secret")
     * @param strictModes whether a file others may access is refused (else it is used with a warning)
     * @throws SyncException {@link SyncError#STORAGE}, naming the file and what is wrong with it
     */
    static byte[] read(Path file, String what, int length, boolean strictModes) throws IOException, SyncException {
        if (!Files.isRegularFile(file)) {
            throw new SyncException(SyncError.STORAGE, file + ": " + what + " is not a regular file");
        }
        checkOwnerOnly(file, what, strictModes);
        byte[] bytes = Files.readAllBytes(file);
        if (length >= 0 && bytes.length != length) {
            throw new SyncException(SyncError.STORAGE, file + ": " + what + " is " + bytes.length + " bytes, expected " + length
                    + " (the file is damaged; restore it from a backup)");
        }
        return bytes;
    }

    private static void checkOwnerOnly(Path file, String what, boolean strictModes) throws IOException, SyncException {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: the directory's protection applies
        }
        permissions.retainAll(NOT_OWNER);
        if (permissions.isEmpty()) {
            return;
        }
        String problem = file + ": " + what + " is accessible to others than its owner (mode "
                + PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) + ")";
        if (strictModes) {
            throw new SyncException(SyncError.STORAGE, problem + "; make it private with 'chmod 600 " + file
                    + "' (and consider it leaked), or turn strict file modes off to use it anyway");
        }
        LOG.log(Level.WARNING, "{0}; using it because strict file modes are off", problem);
    }

    /** Creates dir (and parents) with owner-only access if it does not exist. */
    static Path directory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system.
            }
        }
        return dir;
    }
}
