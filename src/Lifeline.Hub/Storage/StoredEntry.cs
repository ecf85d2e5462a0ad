using Lifeline.Protocol;

namespace Lifeline.Hub.Storage;

/// <summary>
/// An entry as the hub keeps it: the fields filters need, and its wire JSON encoded once (id included) at append,
/// shared by every frame, query and catch-up that sends it. Immutable.
/// </summary>
internal sealed class StoredEntry(long id, DateTimeOffset timestamp, long receivedTicks, LogEntryLevel level, string source, string message, byte[] json)
{
    public long Id { get; } = id;

    public DateTimeOffset Timestamp { get; } = timestamp;

    /// <summary>Receipt time (UTC ticks of the hub's TimeProvider): retention by age uses it, as ids follow receipt order.</summary>
    public long ReceivedTicks { get; } = receivedTicks;

    public LogEntryLevel Level { get; } = level;

    public string Source { get; } = source;

    public string Message { get; } = message;

    /// <summary>The entry's wire JSON, id included.</summary>
    public byte[] Json { get; } = json;
}
