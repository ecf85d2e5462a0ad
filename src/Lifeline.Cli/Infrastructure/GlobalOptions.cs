using System.CommandLine;

namespace Lifeline.Cli;

/// <summary>
/// The options every client command takes: <c>--url</c> and <c>--key</c>, with environment fallbacks. Only the
/// commands that talk to a hub list them (<see cref="AddTo"/>): <c>serve</c> and <c>demo</c> are the hub and would
/// ignore them.
/// </summary>
internal sealed class GlobalOptions
{
    public const string UrlVariable = "LIFELINE_URL";
    public const string KeyVariable = "LIFELINE_KEY";

    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"The hub's URL [env: {UrlVariable}] [default: {HubEndpoint.DefaultUrl}]",
        HelpName = "url",
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = $"API key sent to the hub [env: {KeyVariable}]",
        HelpName = "key",
    };

    /// <summary>Adds <c>--url</c> and <c>--key</c> to <paramref name="command"/> and returns it.</summary>
    public Command AddTo(Command command)
    {
        command.Add(Url);
        command.Add(Key);
        return command;
    }

    /// <summary>Flag, then environment variable, then the local hub; a malformed URL is a usage error naming where it came from.</summary>
    public HubEndpoint Resolve(ParseResult result, CliEnvironment environment)
    {
        var flag = result.GetValue(Url);
        var variable = environment.GetVariable(UrlVariable);
        var (url, origin) = flag is not null ? (flag, "--url")
            : !string.IsNullOrWhiteSpace(variable) ? (variable, UrlVariable)
            : (HubEndpoint.DefaultUrl, "default URL");
        return HubEndpoint.Create(url, result.GetValue(Key) ?? environment.GetVariable(KeyVariable), origin);
    }
}
