package aranya.sync.graph.storage;

import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.StorageProvider;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The embedded default storage: one append-only log file per graph in a directory,
 * named {@code <graph id hex>.graph}. A crash can tear only the last record of a log, which
 * the graph's open drops (keeping its bytes in {@code <log>.torn-at-<offset>}); damage
 * anywhere else in the log's tail (after the index checkpoint) makes the open fail with a
 * {@link CorruptLogException}, and damage in the part the index checkpoint covers, which a
 * background check finds after the open, makes every later append fail with one, until
 * {@link #repair} is run. The exact rules are in the log's class comment and in
 * {@code docs/storage.md}.
 */
public final class FileStorageProvider implements StorageProvider {
    private static final String SUFFIX = ".graph";
    private static final Pattern NAME = Pattern.compile("[0-9a-f]{64}\\.graph");

    private final Path directory;

    /**
     * Uses (and creates if needed) this directory.
     *
     * @param directory where the graph logs are kept
     * @throws IOException if the directory cannot be created
     */
    public FileStorageProvider(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
    }

    @Override
    public GraphStore open(GraphId graph) throws IOException {
        Path file = directory.resolve(graph.toHex() + SUFFIX);
        boolean created = !Files.exists(file);
        FileGraphStore store = new FileGraphStore(graph, file);
        if (created) {
            // Make the new file's directory entry durable too.
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        }
        return store;
    }

    /**
     * What {@link #repair} did to one log.
     *
     * @param graph the graph whose log it is
     * @param log the log file
     * @param keptBatches the intact records (batches) before the first bad one, all of them if none is bad
     * @param keptBytes the log's length after the repair
     * @param movedTo the new file holding the bytes from the first bad record to the old end; empty if the log was intact
     * @param movedBytes how many bytes were moved there (0 if none)
     * @param finding what was wrong, in words, or {@code "intact"}
     */
    public record Repair(GraphId graph, Path log, int keptBatches, long keptBytes, Optional<Path> movedTo, long movedBytes, String finding) {}

    /**
     * Repairs graph's log if it is damaged: keeps the intact records before the first bad one
     * and moves every byte from there to the end into {@code <log>.damaged-at-<offset>}
     * beside it (nothing is deleted); an intact log is left alone. Fails if the log is open,
     * here or in another process.
     *
     * @param graph the graph whose log to check
     * @return what was kept and what was moved aside
     * @throws IOException if the log cannot be read or written, or is open
     */
    public Repair repair(GraphId graph) throws IOException {
        Path file = directory.resolve(graph.toHex() + SUFFIX);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no log of graph " + graph);
        }
        return FileGraphStore.repair(graph, file);
    }

    @Override
    public Set<GraphId> graphs() throws IOException {
        Set<GraphId> out = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (NAME.matcher(name).matches()) {
                    out.add(GraphId.fromHex(name.substring(0, name.length() - SUFFIX.length())));
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        // Each store owns its file and is closed by its graph.
    }
}
