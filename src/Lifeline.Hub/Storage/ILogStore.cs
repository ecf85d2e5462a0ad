namespace Lifeline.Hub.Storage;

/// <summary>
/// Where entries are kept. Appends and retention are called only by the hub's single writer loop; reads may run
/// concurrently with them and with each other. Ids are contiguous: entry <c>n+1</c> follows entry <c>n</c>.
/// </summary>
internal interface ILogStore : IAsyncDisposable
{
    /// <summary>The newest id stored (0 when nothing was ever stored).</summary>
    long LastId { get; }

    /// <summary>The first id still retained; <see cref="LastId"/> + 1 when the store is empty.</summary>
    long OldestId { get; }

    /// <summary>How many entries are retained.</summary>
    long Count { get; }

    /// <summary>The encoded bytes of the retained entries.</summary>
    long Bytes { get; }

    /// <summary>Opens the store and loads its positions.</summary>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>Appends entries whose ids continue <see cref="LastId"/>; durable (for a durable store) when it returns.</summary>
    ValueTask AppendAsync(IReadOnlyList<StoredEntry> entries, CancellationToken cancellationToken);

    /// <summary>
    /// Adds to <paramref name="into"/> up to <paramref name="max"/> entries with id &gt; <paramref name="afterId"/>, oldest first,
    /// and returns the oldest retained id at the time of the read (so a caller can name a gap exactly).
    /// </summary>
    ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken);

    /// <summary>Deletes entries received before <paramref name="receivedBeforeTicks"/> and the oldest beyond the size limits.</summary>
    ValueTask EnforceRetentionAsync(long receivedBeforeTicks, CancellationToken cancellationToken);
}
