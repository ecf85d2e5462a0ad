using System.CommandLine;

namespace Lifeline.Cli;

/// <summary>The options every client command takes: <c>--url</c> and <c>--key</c>, with environment fallbacks.</summary>
internal sealed class GlobalOptions
{
    public const string UrlVariable = "LIFELINE_URL";
    public const string KeyVariable = "LIFELINE_KEY";

    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"The hub's URL [env: {UrlVariable}] [default: {HubEndpoint.DefaultUrl}]",
        HelpName = "url",
        Recursive = true,
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = $"API key sent to the hub [env: {KeyVariable}]",
        HelpName = "key",
        Recursive = true,
    };

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
