// TEMPORARY until Lifeline.Protocol's LogEntry lands on main (same shape); deleted at that merge.
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>Temporary stand-in.</summary>
public sealed record LogEntry
{
    /// <summary>Id.</summary>
    public long Id { get; init; }

    /// <summary>Timestamp.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Level.</summary>
    public LogLevel Level { get; init; } = LogLevel.Information;

    /// <summary>Source.</summary>
    public string Source { get; init; } = "";

    /// <summary>Message.</summary>
    public required string Message { get; init; }

    /// <summary>Props.</summary>
    public JsonElement? Properties { get; init; }

    /// <summary>Max.</summary>
    public const int MaxSourceLength = 256;
}
