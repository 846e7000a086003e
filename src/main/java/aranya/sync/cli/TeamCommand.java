package aranya.sync.cli;

import aranya.sync.node.SyncNode;
import aranya.sync.node.TeamCredentials;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/** {@code team create|join|export|add-member}. */
final class TeamCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "create, join or export a team; add a member";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync team create [--member PUBKEY]...   found a team; prints its credentials
                       aranya-sync team join CREDENTIALS              join with credentials from 'team export'
                       aranya-sync team export [--team TEAM]          print TEAM's credentials (id:secret)
                       aranya-sync team add-member PUBKEY [--team TEAM]
                  all take --data DIR. Credentials contain the team secret: share them only with members.""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "member");
    }

    @Override
    public int run(Invocation call) throws Exception {
        Args args = call.args();
        args.allowFlags();
        String action = args.positional(0, "what to do: create, join, export or add-member");
        switch (action) {
            case "create" -> {
                args.allowPositionals(1);
                List<byte[]> members = args.options("member").stream().map(TeamCommand::publicKey).toList();
                TeamCredentials team = call.node().createTeam(members);
                call.out().println("team " + team.team().toHex());
                call.out().println("credentials " + team.encode());
            }
            case "join" -> {
                args.allowPositionals(2);
                TeamCredentials team;
                try {
                    team = TeamCredentials.parse(args.positional(1, "CREDENTIALS"));
                } catch (IllegalArgumentException e) {
                    throw new Args.UsageException(e.getMessage());
                }
                call.node().joinTeam(team);
                call.out().println("joined team " + team.team().toHex() + "; sync with a member to fetch its graph");
            }
            case "export" -> {
                args.allowPositionals(1);
                SyncNode node = call.node();
                call.out().println(node.credentials(call.team()).encode());
            }
            case "add-member" -> {
                args.allowPositionals(2);
                byte[] key = publicKey(args.positional(1, "PUBKEY"));
                var command = call.node().addMember(call.team(), key);
                call.out().println("added member in command " + command.id().toHex());
            }
            default -> throw new Args.UsageException("unknown team action '" + action + "'");
        }
        return 0;
    }

    private static byte[] publicKey(String hex) {
        try {
            byte[] key = HexFormat.of().parseHex(hex);
            if (key.length != 32) {
                throw new Args.UsageException("a public key is 64 hex digits");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("a public key is 64 hex digits");
        }
    }
}
