package aranya.sync.graph.storage;

import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.StorageProvider;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The embedded default storage: one append-only log file per graph in a directory,
 * named {@code <graph id hex>.graph}.
 */
public final class FileStorageProvider implements StorageProvider {
    private static final String SUFFIX = ".graph";
    private static final Pattern NAME = Pattern.compile("[0-9a-f]{64}\\.graph");

    private final Path directory;

    /** Uses (and creates if needed) this directory. */
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
