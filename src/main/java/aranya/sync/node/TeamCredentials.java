package aranya.sync.node;

import aranya.sync.graph.GraphId;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a device needs to join a team: the team id and the team's 32-byte secret, which
 * authenticates sync connections for that team. Share it only with team members, over a
 * channel you trust. Written as {@code <team id hex>:<secret hex>}.
 */
public final class TeamCredentials {
    /** Length of a team secret. */
    public static final int SECRET_LENGTH = 32;

    private final GraphId team;
    private final byte[] secret;

    /**
     * Credentials for team.
     *
     * @param team the team's graph id
     * @param secret the {@value #SECRET_LENGTH}-byte team secret (copied)
     */
    public TeamCredentials(GraphId team, byte[] secret) {
        this.team = Objects.requireNonNull(team, "team");
        if (secret.length != SECRET_LENGTH) {
            throw new IllegalArgumentException("a team secret is " + SECRET_LENGTH + " bytes, got " + secret.length);
        }
        this.secret = secret.clone();
    }

    /**
     * Parses {@code <team id hex>:<secret hex>}.
     *
     * @param text the text form from {@link #encode()}
     * @return the credentials
     */
    public static TeamCredentials parse(String text) {
        int colon = text.indexOf(':');
        if (colon != 64 || text.length() != 64 + 1 + 2 * SECRET_LENGTH) {
            throw new IllegalArgumentException("team credentials are <64 hex digits>:<64 hex digits>");
        }
        try {
            return new TeamCredentials(GraphId.fromHex(text.substring(0, colon)), HexFormat.of().parseHex(text.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("team credentials are not hex: " + e.getMessage(), e);
        }
    }

    /** {@return the team's graph id} */
    public GraphId team() {
        return team;
    }

    /** {@return a copy of the secret} */
    public byte[] secret() {
        return secret.clone();
    }

    /** {@return the shareable text form, secret included} */
    public String encode() {
        return team.toHex() + ":" + HexFormat.of().formatHex(secret);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TeamCredentials t && t.team.equals(team) && Arrays.equals(t.secret, secret);
    }

    @Override
    public int hashCode() {
        return team.hashCode();
    }

    /** Never prints the secret. */
    @Override
    public String toString() {
        return "TeamCredentials[" + team + ", secret hidden]";
    }
}
