using System.Threading.Channels;
using Lifeline.Hub.Core;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Lifeline.Hub.Log;

/// <summary>
/// The cluster's <see cref="IEntryLog"/>: the log is one JetStream stream shared by every node (docs/cluster.md). Each
/// stream message is one committed batch whose first id is in its header; ids follow from the stream's order, never
/// from a node alone. Three loops, each a partial:
/// <list type="bullet">
/// <item>the writer (<c>.Writer.cs</c>) coalesces this node's publishes into one message and appends it with
/// <c>Nats-Expected-Last-Sequence</c> = the last sequence the mirror applied, so an append that lost a race to another
/// node fails, and is rebuilt with new ids once the mirror caught up (optimistic concurrency: contiguous ids per publish,
/// all or nothing, exact idempotency across nodes);</item>
/// <item>the applier (<c>.Applier.cs</c>) reads the stream with an ordered consumer into the local mirror (the memory or
/// SQLite store) and hands every batch to the sink, in stream order, on every node alike;</item>
/// <item>the monitor (<c>.Monitor.cs</c>) asks for the stream's state: leader, first and last sequence (caught-up and
/// retention).</item>
/// </list>
/// Invariants: only the applier writes the mirror and calls the sink; a publish is answered only once the engine acked
/// it and the mirror applied it (the writer's acker, <c>.Writer.cs</c>). Thread-safe.
/// </summary>
internal sealed partial class JetStreamEntryLog : IEntryLog
{
    /// <summary>Publishes waiting for the writer: past this many, publishers wait (backpressure) instead of queueing more.</summary>
    private const int IngestQueueCapacity = 4096;

    private readonly HubOptions _options;
    private readonly TimeProvider _time;
    private readonly HubMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ILogStore _store;

    // Answers of this node's publishes, pending or done (a retry on this node waits for its first try).
    private readonly IdempotencyCache _idempotency;

    // Answers of every keyed publish the stream holds, from any node, filled by the applier before it moves _applied.
    private readonly IdempotencyCache _committed;
    private readonly AppliedPosition _applied = new();
    private readonly Channel<IngestWork> _ingest = Channel.CreateBounded<IngestWork>(new BoundedChannelOptions(IngestQueueCapacity) { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _completeLock = new();
    private readonly NatsConnection _nats;
    private readonly NatsJSContext _js;

    private ICommitSink _sink = null!;
    private long _committedId;
    private Task _writerLoop = Task.CompletedTask;
    private Task _ackerLoop = Task.CompletedTask;
    private Task _applierLoop = Task.CompletedTask;
    private Task _monitorLoop = Task.CompletedTask;
    private Task? _completeTask;

    public JetStreamEntryLog(HubOptions options, HubMetrics metrics, ILogger logger)
    {
        _options = options;
        _time = options.TimeProvider;
        _metrics = metrics;
        _logger = logger;
        var keyLimits = new IdempotencyLimits(options.IdempotencyCapacity, options.IdempotencyWindow);
        _idempotency = new IdempotencyCache(keyLimits, _time);
        _committed = new IdempotencyCache(keyLimits, _time);
        _store = options.Store == HubStoreKind.Sqlite
            ? new SqliteLogStore(options.SqlitePath, options.SqliteSynchronousFull, maxBytes: null, keyLimits)
            : new MemoryLogStore(options.MemoryMaxEntries, options.MemoryMaxBytes);
        _nats = new NatsConnection(new NatsOpts
        {
            Url = string.Join(',', options.ClusterUrls),
            Name = "lifeline-hub " + options.ClusterNodeName,

            // A node starts (and stays up) with the engine down: it connects when a server is back.
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = ReconnectWait,
            ReconnectWaitMax = ReconnectWait * 4,
        });

        _nats.OnConnectingAsync = OnDialingAsync;

        // A request to a server that died is given up after RequestTimeout, then resent (the same message id) to
        // another: short enough that a leader election (about 5 s) costs an append a few tries, not its deadline.
        _js = new NatsJSContext(_nats, new NatsJSOpts(_nats.Opts, requestTimeout: RequestTimeout));
        RunId = Guid.NewGuid().ToString("N")[..12];
    }

    public long LastId => Volatile.Read(ref _committedId);

    public long OldestId => _store.OldestId;

    public long Count => _store.Count;

    public long Bytes => _store.Bytes;

    /// <summary>This process's part of the message ids it appends (a restarted node never reuses one within the stream's duplicate window).</summary>
    public string RunId { get; }

    public async ValueTask StartAsync(ICommitSink sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        await _store.OpenAsync(cancellationToken).ConfigureAwait(false);

        // Before any ingest is accepted: the keys the mirror stored (a restarted SQLite node), so a retry is answered.
        _committed.Restore(await _store.ReadIdempotencyKeysAsync(cancellationToken).ConfigureAwait(false));
        _committedId = _store.LastId;
        _applied.Set(_store.Position, _store.LastId);
        _applierLoop = ApplierLoopAsync(_stopping.Token);
        _monitorLoop = MonitorLoopAsync(_stopping.Token);
        _writerLoop = WriterLoopAsync(_stopping.Token);
        _ackerLoop = AckerLoopAsync();
    }

    public async Task<(PublishResult Result, bool Replayed)> AppendAsync(List<EntryFields> entries, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && _committed.TryGet(idempotencyKey) is { } stored)
        {
            return (await stored.ConfigureAwait(false), true);
        }

        return await IngestWork.SubmitAsync(_ingest.Writer, _idempotency, entries, idempotencyKey, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken) =>
        _store.ReadAsync(afterId, max, into, cancellationToken);

    public Task CompleteAsync()
    {
        lock (_completeLock)
        {
            return _completeTask ??= CompleteCoreAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CompleteAsync().ConfigureAwait(false);
        await _nats.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task CompleteCoreAsync()
    {
        // At this point the hub takes no more publishes: the writer appends those it has (within their deadline), the
        // acker answers them once applied (the applier still runs), then the applier and the monitor stop.
        _ingest.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        await _ackerLoop.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _applierLoop.ConfigureAwait(false);
        await _monitorLoop.ConfigureAwait(false);
    }
}
