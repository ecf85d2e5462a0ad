using Lifeline.Protocol;

namespace Lifeline.Cli;

/// <summary>Level names (docs/protocol.md, through Lifeline.Protocol) and how the CLI shows them.</summary>
internal static class Levels
{
    public static readonly IReadOnlyList<string> Names = LogLevelNames.Canonical;

    /// <summary>The canonical name of <paramref name="name"/> (a name or alias, any case), or null if it is not a level.</summary>
    public static string? Canonical(string? name) => LogLevelNames.TryParse(name, out var level) ? LogLevelNames.GetName(level) : null;

    /// <summary>
    /// The level in text output: a name or alias that <c>--level</c> accepts, upper-cased (the names the dashboard,
    /// JSON output and the protocol use; not Microsoft.Extensions.Logging's console tags <c>fail</c>/<c>crit</c>).
    /// </summary>
    public static string Tag(string level) => level switch
    {
        "information" => "INFO",
        "warning" => "WARN",
        _ => level.ToUpperInvariant(),
    };

    /// <summary>Spectre colour per level.</summary>
    public static string Colour(string level) => level switch
    {
        "trace" => "grey",
        "debug" => "silver",
        "information" => "green",
        "warning" => "yellow",
        "error" => "red",
        "critical" => "white on red",
        _ => "default",
    };

    /// <summary>An option value validator: the level names and aliases, case-insensitive.</summary>
    public static void Validate(System.CommandLine.Parsing.OptionResult result)
    {
        foreach (var token in result.Tokens)
        {
            if (Canonical(token.Value) is null)
            {
                result.AddError($"'{token.Value}' is not a level for {result.Option.Name}: use one of {string.Join(", ", Names)}");
            }
        }
    }
}
