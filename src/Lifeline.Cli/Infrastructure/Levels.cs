namespace Lifeline.Cli;

/// <summary>Level names of docs/protocol.md: canonical names and the accepted aliases.</summary>
internal static class Levels
{
    public static readonly string[] Names = ["trace", "debug", "information", "warning", "error", "critical"];

    public static readonly string[] Accepted = [.. Names, "info", "warn", "fatal"];

    /// <summary>The canonical name of <paramref name="name"/>, or null if it is not a level.</summary>
    public static string? Canonical(string? name) => name?.ToLowerInvariant() switch
    {
        "info" => "information",
        "warn" => "warning",
        "fatal" => "critical",
        var lower when lower is not null && Names.Contains(lower) => lower,
        _ => null,
    };

    /// <summary>Four-letter tags for aligned text output.</summary>
    public static string Tag(string level) => level switch
    {
        "trace" => "TRCE",
        "debug" => "DBUG",
        "information" => "INFO",
        "warning" => "WARN",
        "error" => "FAIL",
        "critical" => "CRIT",
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
