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

    /// <summary>
    /// Appends entries whose ids continue <see cref="LastId"/>, and the answers of the idempotent ingests they came from,
    /// all or nothing; durable (for a durable store) when it returns. A durable store keeps <paramref name="keys"/> as
    /// long as the <see cref="IdempotencyLimits"/> it was made with say; the memory store keeps none (its entries die
    /// with the process too).
    /// </summary>
    ValueTask AppendAsync(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, CancellationToken cancellationToken);

    /// <summary>The idempotency answers kept from before this open, oldest first (none for the memory store).</summary>
    ValueTask<IReadOnlyList<IdempotencyRecord>> ReadIdempotencyKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Adds to <paramref name="into"/> up to <paramref name="max"/> entries with id &gt; <paramref name="afterId"/>, oldest first,
    /// and returns the oldest retained id at the time of the read (so a caller can name a gap exactly).
    /// </summary>
    ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken);

    /// <summary>
    /// The position of the replicated log this store mirrors (a JetStream stream sequence), as committed with the last
    /// <see cref="AppendMirroredAsync"/>; 0 for a store that mirrors nothing. A durable store keeps it across restarts.
    /// </summary>
    long Position { get; }

    /// <summary>
    /// <see cref="AppendAsync"/> for a mirror: <paramref name="position"/> is committed with the entries (all or nothing),
    /// so a restarted node resumes its mirror right after what it stored.
    /// </summary>
    ValueTask AppendMirroredAsync(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, long position, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the entries before id <paramref name="keepFromId"/> (a mirror follows its log's retention). When
    /// <paramref name="keepFromId"/> is past <see cref="LastId"/> + 1 the store becomes empty and <see cref="LastId"/> moves
    /// to <paramref name="keepFromId"/> - 1 (the log's retention removed ids this mirror never had).
    /// </summary>
    ValueTask DeleteBeforeAsync(long keepFromId, CancellationToken cancellationToken);

    /// <summary>Deletes entries received before <paramref name="receivedBeforeTicks"/> and the oldest beyond the size limits.</summary>
    ValueTask EnforceRetentionAsync(long receivedBeforeTicks, CancellationToken cancellationToken);
}
