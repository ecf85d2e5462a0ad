using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Storage;
using Lifeline.Hub.Streaming;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Core;

/// <summary>
/// The hub's core: one writer loop assigns ids and appends to the store; after each commit it fans the batch out, as
/// shared frames, to the subscriber queues. Invariants: ids are assigned only by the writer loop and are contiguous;
/// <see cref="CommittedId"/> changes only under <see cref="_fanoutLock"/>, together with the enqueue of the frames holding
/// those ids, so a subscriber that starts accepting under that lock and reads the marker there gets every later id live.
/// Thread-safe.
/// </summary>
internal sealed partial class LogHub : IAsyncDisposable
{
    private readonly HubOptions _options;
    private readonly ILogger<LogHub> _logger;
    // Synchronous continuations: a write that finds the writer loop waiting runs it on the writing thread (a hop less
    // between an ingest and its delivery). Safe: the loop touches no lock the writers hold, and acks complete asynchronously.
    private readonly Channel<IngestWork> _ingest = Channel.CreateBounded<IngestWork>(new BoundedChannelOptions(4096) { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Lock _fanoutLock = new();
    private readonly Lock _stateLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly IdempotencyCache _idempotency;
    private FilterGroup[] _groups = [];
    private long _committedId;
    private long _lastAssigned;
    private int _inflight;
    private bool _draining;
    private TaskCompletionSource? _inflightDrained;
    private Task _writerLoop = Task.CompletedTask;
    private Task _heartbeatLoop = Task.CompletedTask;
    private Task _retentionLoop = Task.CompletedTask;
    private Task? _stopTask;

    public LogHub(IOptions<HubOptions> options, ILogger<LogHub> logger, HubMetrics metrics, ConnectionRegistry connections)
    {
        _options = options.Value;
        _options.Validate();
        _logger = logger;
        Metrics = metrics;
        Connections = connections;
        Time = _options.TimeProvider;
        var keyLimits = new IdempotencyLimits(_options.IdempotencyCapacity, _options.IdempotencyWindow);
        _idempotency = new IdempotencyCache(keyLimits, Time);
        Store = _options.Store == HubStoreKind.Sqlite
            ? new SqliteLogStore(_options.SqlitePath, _options.SqliteSynchronousFull, _options.RetentionMaxBytes, keyLimits)
            : new MemoryLogStore(_options.MemoryMaxEntries, _options.MemoryMaxBytes);
        StartedAt = Time.GetUtcNow();
        RecentFrames = new RecentFrames(_options.RecentFramesBytes);
    }

    public HubOptions Options => _options;

    public TimeProvider Time { get; }

    public ILogStore Store { get; }

    public HubMetrics Metrics { get; }

    public ConnectionRegistry Connections { get; }

    /// <summary>Recent unfiltered live frames, for catch-up over recent ids.</summary>
    public RecentFrames RecentFrames { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The newest id in the store and fanned out to subscribers.</summary>
    public long CommittedId => Volatile.Read(ref _committedId);

    /// <summary>Whether the hub is shutting down (new connections and ingests are refused).</summary>
    public bool IsDraining => Volatile.Read(ref _draining);

    /// <summary>The current subscribers.</summary>
    public IEnumerable<Subscriber> Subscribers => Volatile.Read(ref _groups).SelectMany(g => g.Members);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Store.OpenAsync(cancellationToken).ConfigureAwait(false);
        _committedId = _lastAssigned = Store.LastId;

        // Before any ingest is accepted: a retry of a batch stored before a restart is answered, not stored again.
        _idempotency.Restore(await Store.ReadIdempotencyKeysAsync(cancellationToken).ConfigureAwait(false));
        Metrics.Attach(this);
        _writerLoop = WriterLoopAsync();
        _heartbeatLoop = HeartbeatLoopAsync(_stopping.Token);
        if (_options.RetentionMaxAge is not null)
        {
            _retentionLoop = RetentionLoopAsync(_stopping.Token);
        }

        LogStarted(_logger, _options.Store, Store.OldestId, Store.LastId);
    }

    /// <summary>Stores a validated batch; completes once it is in the store. A remembered <paramref name="idempotencyKey"/> replays the first answer.</summary>
    public async Task<(PublishResult Result, bool Replayed)> IngestAsync(List<EntryFields> entries, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var work = new IngestWork(entries, idempotencyKey);
        if (idempotencyKey is not null && _idempotency.GetOrAdd(idempotencyKey, work.Completion.Task) is { } remembered)
        {
            return (await remembered.WaitAsync(cancellationToken).ConfigureAwait(false), true);
        }

        try
        {
            await _ingest.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (idempotencyKey is not null)
            {
                _idempotency.Remove(idempotencyKey);
            }

            work.Completion.TrySetException(e);
            throw;
        }

        try
        {
            return (await work.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false), false);
        }
        catch when (idempotencyKey is not null && work.Completion.Task.IsFaulted)
        {
            _idempotency.Remove(idempotencyKey);
            throw;
        }
    }

    /// <summary>Counts a request that uses the store; <see langword="false"/> while draining.</summary>
    public bool TryEnterRequest()
    {
        lock (_stateLock)
        {
            if (_draining)
            {
                return false;
            }

            _inflight++;
            return true;
        }
    }

    public void ExitRequest()
    {
        TaskCompletionSource? drained = null;
        lock (_stateLock)
        {
            if (--_inflight == 0 && _draining)
            {
                drained = _inflightDrained;
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>Adds a subscriber that starts accepting live frames now; returns the marker: every later id reaches it live.</summary>
    public long AddSubscriber(Subscriber subscriber, bool acceptLive)
    {
        lock (_fanoutLock)
        {
            var groups = _groups;
            var index = Array.FindIndex(groups, g => g.Filter.Equals(subscriber.Filter));
            _groups = index < 0
                ? [.. groups, new FilterGroup(subscriber.Filter, [subscriber])]
                : [.. groups[..index], groups[index] with { Members = [.. groups[index].Members, subscriber] }, .. groups[(index + 1)..]];
            if (acceptLive)
            {
                subscriber.Queue.Accept();
            }

            return _committedId;
        }
    }

    /// <summary>Makes a registered subscriber accept live frames again (after catch-up); returns the marker.</summary>
    public long AcceptLive(Subscriber subscriber)
    {
        lock (_fanoutLock)
        {
            subscriber.Queue.Accept();
            return _committedId;
        }
    }

    public void RemoveSubscriber(Subscriber subscriber)
    {
        lock (_fanoutLock)
        {
            _groups = [.. _groups
                .Select(g => g with { Members = [.. g.Members.Where(m => m != subscriber)] })
                .Where(g => g.Members.Length > 0)];
        }
    }

    /// <summary>Runs a WebSocket connection to its end; one that registers while draining is asked to close at once.</summary>
    public Task RunConnectionAsync(HubConnection connection)
    {
        // Not async: the registry's frame is the one an open connection keeps.
        var run = Connections.RunAsync(connection);
        if (IsDraining)
        {
            connection.RequestGoingAway(CloseReasonFor);
        }

        return run;
    }

    /// <summary>Starts draining: refuse new work and ask every connection to close with 1001. Idempotent, non-blocking.</summary>
    public void BeginDrain()
    {
        lock (_stateLock)
        {
            if (_draining)
            {
                return;
            }

            _draining = true;
            _inflightDrained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inflight == 0)
            {
                _inflightDrained.TrySetResult();
            }
        }

        LogDraining(_logger, Connections.Count);
        Connections.CloseAll(CloseReasonFor);
    }

    /// <summary>Graceful stop (docs/hub.md, "Shutdown"). Safe to call more than once; every call awaits the same stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            _stopTask ??= StopCoreAsync();
        }

        return _stopTask.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task StopCoreAsync()
    {
        BeginDrain();
        var deadline = Time.GetTimestamp() + (long)(_options.ShutdownTimeout.TotalSeconds * Time.TimestampFrequency);
        TimeSpan Remaining() => TimeSpan.FromSeconds(Math.Max(0, deadline - Time.GetTimestamp()) / (double)Time.TimestampFrequency);

        // Connections finish their acks and close handshakes; POSTs finish their appends; then the writer flushes.
        await Connections.WaitAllAsync(Remaining(), Time).ConfigureAwait(false);
        try
        {
            await _inflightDrained!.Task.WaitAsync(Remaining(), Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogDrainTimeout(_logger, Volatile.Read(ref _inflight));
        }

        // At this point: nothing new can reach the channel (draining refuses requests; connections are gone).
        _ingest.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_heartbeatLoop, _retentionLoop).ConfigureAwait(false);
        Metrics.Detach();
        await Store.DisposeAsync().ConfigureAwait(false);
        LogStopped(_logger, CommittedId);
    }

    private CloseReason CloseReasonFor(long? resumeAfter)
    {
        var (min, max) = _options.ReconnectJitter;
        var ms = (int)(min.TotalMilliseconds + (Random.Shared.NextDouble() * (max - min).TotalMilliseconds));
        return new CloseReason(resumeAfter, ms);
    }

    private async Task WriterLoopAsync()
    {
        await Task.Yield();
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(buffer);
        var batch = new List<StoredEntry>();
        var works = new List<IngestWork>();
        var keys = new List<IdempotencyRecord>();
        var frames = new List<SharedFrame>();
        var pumps = new List<Subscriber>();
        while (await _ingest.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var retention = false;
            try
            {
                while (batch.Count < 50_000 && _ingest.Reader.TryRead(out var work))
                {
                    if (work.Entries.Count == 0 && work == RetentionWork)
                    {
                        retention = true;
                        continue;
                    }

                    works.Add(work);
                    var now = Time.GetUtcNow();
                    var first = _lastAssigned + 1;
                    foreach (var f in work.Entries)
                    {
                        var id = ++_lastAssigned;
                        var ts = f.Timestamp ?? now;
                        buffer.ResetWrittenCount();
                        json.Reset();
                        LogEntryJson.WriteStored(json, id, ts, f.Level, f.Source, f.Message, f.RawProperties);
                        json.Flush();
                        batch.Add(new StoredEntry(id, ts, now.UtcTicks, f.Level, f.Source, f.Message, buffer.WrittenSpan.ToArray()));
                    }

                    work.Result = new PublishResult(work.Entries.Count, work.Entries.Count == 0 ? 0 : first, work.Entries.Count == 0 ? 0 : _lastAssigned);
                    if (work.IdempotencyKey is { } key && work.Entries.Count > 0)
                    {
                        // Committed with the entries. An empty batch stores nothing, so its retry stores nothing either.
                        keys.Add(new IdempotencyRecord(key, work.Result, now.UtcTicks));
                    }
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The loop must survive: fail what was taken (nothing of it is stored) and go on.
                LogAppendFailed(_logger, e, batch.Count);
                _lastAssigned = CommittedId;
                foreach (var w in works)
                {
                    w.Completion.TrySetException(e);
                }

                batch.Clear();
                works.Clear();
                keys.Clear();
                continue;
            }

            await CommitAsync(batch, works, keys, frames, pumps).ConfigureAwait(false);
            if (retention)
            {
                await RunRetentionAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task CommitAsync(List<StoredEntry> batch, List<IngestWork> works, List<IdempotencyRecord> keys, List<SharedFrame> frames, List<Subscriber> pumps)
    {
        try
        {
            if (batch.Count > 0)
            {
                await Store.AppendAsync(batch, keys, CancellationToken.None).ConfigureAwait(false);
                FanOut(batch, frames, pumps);
                Metrics.Ingested(batch.Count);
            }

            foreach (var w in works)
            {
                w.Completion.TrySetResult(w.Result!);
            }
        }
        catch (Exception e)
        {
            // Nothing of the batch is visible: ids go back so they stay contiguous.
            _lastAssigned = CommittedId;
            LogAppendFailed(_logger, e, batch.Count);
            foreach (var w in works)
            {
                w.Completion.TrySetException(e);
            }
        }
        finally
        {
            // Deliver to the parked subscribers the fan-out claimed, outside its lock; a claimed subscriber must be
            // pumped even if the fan-out failed half-way, or its send loop would stay parked. Pump never throws.
            foreach (var s in pumps)
            {
                s.Pump();
            }

            batch.Clear();
            works.Clear();
            keys.Clear();
            pumps.Clear();
        }
    }

    private void FanOut(List<StoredEntry> batch, List<SharedFrame> frames, List<Subscriber> pumps)
    {
        lock (_fanoutLock)
        {
            _committedId = batch[^1].Id;
            foreach (var group in _groups)
            {
                frames.Clear();
                var filter = group.Filter;
                SharedFrame.Build(batch, filter, _options.MaxFrameBytes, frames);
                if (filter.MatchesAll)
                {
                    foreach (var frame in frames)
                    {
                        RecentFrames.Add(frame);
                    }
                }

                foreach (var member in group.Members)
                {
                    foreach (var frame in frames)
                    {
                        if (!member.Queue.Enqueue(frame, out var claimed))
                        {
                            Metrics.Overflowed();
                            break;
                        }

                        if (claimed)
                        {
                            pumps.Add(member);
                        }
                    }
                }
            }
        }
    }

    private const int HeartbeatSlice = 16;
    private static readonly TimeSpan HeartbeatSlicePause = TimeSpan.FromMilliseconds(1);

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var idleSince = Time.GetTimestamp() - (long)(_options.HeartbeatInterval.TotalSeconds / 2 * Time.TimestampFrequency);
                var woken = 0;
                foreach (var s in Subscribers)
                {
                    if (s.LastSendTimestamp <= idleSince)
                    {
                        s.Queue.RequestHeartbeat();
                        if (++woken % HeartbeatSlice == 0)
                        {
                            // Each woken send loop's write holds a 4 KiB Kestrel block until the socket write runs, and
                            // those writes run on Kestrel's I/O queue behind the woken loops: pause so they run before
                            // the next slice wakes (else Kestrel's pool grows by a block per idle subscriber at every
                            // heartbeat round, and keeps them). A yield was not enough in 2 runs of 3.
                            await Task.Delay(HeartbeatSlicePause, Time, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static readonly IngestWork RetentionWork = new([], null);

    private async Task RetentionLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.RetentionInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                // Retention runs on the writer loop: the store has one writer.
                if (!_ingest.Writer.TryWrite(RetentionWork))
                {
                    await _ingest.Writer.WriteAsync(RetentionWork, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
        }
    }

    private async Task RunRetentionAsync()
    {
        try
        {
            var before = Time.GetUtcNow() - _options.RetentionMaxAge!.Value;
            var oldest = Store.OldestId;
            await Store.EnforceRetentionAsync(before.UtcTicks, CancellationToken.None).ConfigureAwait(false);
            if (Store.OldestId != oldest)
            {
                LogRetention(_logger, oldest, Store.OldestId - 1);
            }
        }
        catch (Exception e)
        {
            LogRetentionFailed(_logger, e);
        }
    }

    /// <summary>Subscribers with the same content filter share frames.</summary>
    private sealed record FilterGroup(LogFilter Filter, Subscriber[] Members);
}
