using Lifeline.Hub.Core;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;

namespace Lifeline.Hub.Log;

/// <summary>
/// The hub's log of entries: it assigns ids, makes entries durable, answers publishes, and hands every committed batch,
/// in id order, to its <see cref="ICommitSink"/>. Implementations: <see cref="LocalEntryLog"/> (one writer loop over the memory or
/// SQLite store) and <see cref="JetStreamEntryLog"/> (a cluster node: the log is a NATS JetStream stream, mirrored locally).
/// <para>
/// Contract: ids are contiguous and assigned once; a publish is answered only after its entries are committed and handed
/// to the sink; the sink's calls never overlap. <see cref="ReadAsync"/> may run concurrently with everything.
/// </para>
/// </summary>
internal interface IEntryLog : IAsyncDisposable
{
    /// <summary>The newest id committed (0 when nothing was ever stored).</summary>
    long LastId { get; }

    /// <summary>The first id still retained; <see cref="LastId"/> + 1 when empty.</summary>
    long OldestId { get; }

    /// <summary>How many entries are retained.</summary>
    long Count { get; }

    /// <summary>The encoded bytes of the retained entries.</summary>
    long Bytes { get; }

    /// <summary>The engine's and the mirror's state of a cluster node (<see cref="JetStreamEntryLog"/>); <see langword="null"/> for a single-node log.</summary>
    EngineStatus? Engine { get; }

    /// <summary>Opens the log and starts delivering committed batches to <paramref name="sink"/>.</summary>
    ValueTask StartAsync(ICommitSink sink, CancellationToken cancellationToken);

    /// <summary>
    /// Appends a validated batch, all or nothing; completes once it is committed. A remembered
    /// <paramref name="idempotencyKey"/> is answered with the first answer (<c>Replayed</c>).
    /// </summary>
    Task<(PublishResult Result, bool Replayed)> AppendAsync(List<EntryFields> entries, string? idempotencyKey, CancellationToken cancellationToken);

    /// <summary>See <see cref="ILogStore.ReadAsync"/>.</summary>
    ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken);

    /// <summary>Takes no more appends, commits and answers those already taken, and ends the log's loops.</summary>
    Task CompleteAsync();
}
