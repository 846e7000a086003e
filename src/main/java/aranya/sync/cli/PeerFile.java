package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The peers a node's {@code serve} syncs with, kept in {@code peers.conf} in the data
 * directory, one per line: {@code ADDRESS TEAM interval=PT10S|none syncNow=true bidirectional=false}.
 */
final class PeerFile {
    /** One configured peer. */
    record Entry(PeerAddress peer, GraphId team, SyncPeerConfig config) {
        String line() {
            return peer + " " + team.toHex() + " interval=" + config.interval().map(Duration::toString).orElse("none")
                    + " syncNow=" + config.syncNow() + " bidirectional=" + config.bidirectional();
        }

        /** The entry as documented in docs/cli-json.md. */
        Map<String, Object> json() {
            return Json.object("address", peer.toString(), "team", team.toHex(),
                    "interval_seconds", config.interval().map(Duration::toSeconds).orElse(null),
                    "sync_now", config.syncNow(), "bidirectional", config.bidirectional());
        }

        static Entry parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 5) {
                throw new IllegalArgumentException("peers.conf: cannot read '" + line + "'");
            }
            String interval = value(f[2], "interval");
            SyncPeerConfig.Builder b = SyncPeerConfig.builder()
                    .syncNow(Boolean.parseBoolean(value(f[3], "syncNow")))
                    .bidirectional(Boolean.parseBoolean(value(f[4], "bidirectional")));
            if (!interval.equals("none")) {
                b.interval(Duration.parse(interval));
            }
            return new Entry(PeerAddress.parse(f[0]), GraphId.fromHex(f[1]), b.build());
        }

        private static String value(String field, String name) {
            if (!field.startsWith(name + "=")) {
                throw new IllegalArgumentException("peers.conf: expected " + name + "=..., got '" + field + "'");
            }
            return field.substring(name.length() + 1);
        }
    }

    /** Serialises changes: commands sent to a running node run concurrently in one process. */
    private static final Object CHANGES = new Object();

    private final Path file;

    PeerFile(Path dataDirectory) {
        this.file = dataDirectory.resolve("peers.conf");
    }

    List<Entry> read() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                out.add(Entry.parse(line));
            }
        }
        return out;
    }

    /** Adds or replaces the entry for (peer, team). */
    void put(Entry entry) throws IOException {
        synchronized (CHANGES) {
            List<Entry> entries = new ArrayList<>(read());
            entries.removeIf(e -> e.peer().equals(entry.peer()) && e.team().equals(entry.team()));
            entries.add(entry);
            write(entries);
        }
    }

    /** Removes the entry for (peer, team); returns whether there was one. */
    boolean remove(PeerAddress peer, GraphId team) throws IOException {
        synchronized (CHANGES) {
            List<Entry> entries = new ArrayList<>(read());
            boolean removed = entries.removeIf(e -> e.peer().equals(peer) && e.team().equals(team));
            write(entries);
            return removed;
        }
    }

    Optional<Entry> find(PeerAddress peer, GraphId team) throws IOException {
        return read().stream().filter(e -> e.peer().equals(peer) && e.team().equals(team)).findFirst();
    }

    private void write(List<Entry> entries) throws IOException {
        StringBuilder text = new StringBuilder("# peers that 'aranya-sync serve' syncs with (edit with 'aranya-sync peer')\n");
        entries.forEach(e -> text.append(e.line()).append('\n'));
        Path tmp = file.resolveSibling("peers.conf.tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
