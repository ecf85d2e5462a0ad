using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>One log entry as it travels on the wire (docs/protocol.md, "Log entries").</summary>
/// <remarks>
/// Immutable once built. On publish, <see cref="Id"/> is ignored (leave it 0) and a <see langword="default"/>
/// <see cref="Timestamp"/> means "time of receipt" (it is then not written).
/// </remarks>
public sealed record LogEntry
{
    /// <summary>Sequence id assigned by the hub: starts at 1, strictly increasing. 0 when not assigned yet.</summary>
    public long Id { get; init; }

    /// <summary>When the entry was logged (UTC). <see langword="default"/> means "not given".</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Severity.</summary>
    /// <value>Default: <see cref="LogEntryLevel.Information"/>.</value>
    public LogEntryLevel Level { get; init; } = LogEntryLevel.Information;

    /// <summary>Who logged it (service, logger category); at most <see cref="MaxSourceLength"/> characters.</summary>
    /// <value>Default: empty.</value>
    public string Source { get; init; } = "";

    /// <summary>The text. Required.</summary>
    public required string Message { get; init; }

    /// <summary>Structured properties: a JSON object, or <see langword="null"/> when there are none.</summary>
    public JsonElement? Properties { get; init; }

    /// <summary>The longest <see cref="Source"/> the hub accepts.</summary>
    public const int MaxSourceLength = 256;
}
