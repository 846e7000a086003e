package aranya.sync.peers;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where a peer's sync server listens: a host name or IP literal and a UDP port. Written
 * {@code host:port}, with IPv6 literals in brackets ({@code [::1]:4433}).
 *
 * @param host a host name or IP literal (without brackets)
 * @param port a UDP port, 1 to 65535
 */
public record PeerAddress(String host, int port) {
    /** Checks that the host is not empty and the port in range. */
    public PeerAddress {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("peer host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("peer port must be 1..65535, got " + port);
        }
    }

    /**
     * Parses {@code host:port} or {@code [ipv6]:port}.
     *
     * @param text the address as written
     * @return the address
     */
    public static PeerAddress parse(String text) {
        HostPort hp = split(text);
        return new PeerAddress(hp.host(), hp.port());
    }

    /**
     * Parses a local address to listen on, written as a peer address; port 0 picks a free port.
     *
     * @param text the address as written
     * @return the socket address, resolved
     */
    public static InetSocketAddress parseListenAddress(String text) {
        HostPort hp = split(text);
        if (hp.port() < 0 || hp.port() > 65535) {
            throw new IllegalArgumentException("listen port must be 0..65535, got " + hp.port());
        }
        return new InetSocketAddress(hp.host(), hp.port());
    }

    private record HostPort(String host, int port) {}

    private static HostPort split(String text) {
        Objects.requireNonNull(text, "text");
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("write IPv6 addresses in brackets, e.g. [::1]:4433; got '" + text + "'");
        }
        try {
            return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port is not a number in '" + text + "'");
        }
    }

    /**
     * {@return the peer address of a socket address}
     *
     * @param address a resolved or unresolved socket address
     */
    public static PeerAddress of(InetSocketAddress address) {
        return new PeerAddress(address.getHostString(), address.getPort());
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
