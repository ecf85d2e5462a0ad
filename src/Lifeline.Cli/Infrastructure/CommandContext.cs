using System.CommandLine;

namespace Lifeline.Cli;

/// <summary>What every command is built with: the environment and the shared <c>--url</c>/<c>--key</c> options.</summary>
internal sealed class CommandContext(CliEnvironment environment, GlobalOptions global)
{
    public CliEnvironment Environment { get; } = environment;

    public GlobalOptions Global { get; } = global;

    /// <summary>The hub the running command talks to, so an error that escapes it can name the hub.</summary>
    public HubEndpoint? LastEndpoint { get; private set; }

    public HubEndpoint ResolveEndpoint(ParseResult result) => LastEndpoint = Global.Resolve(result, Environment);
}
