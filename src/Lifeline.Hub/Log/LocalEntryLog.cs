using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Lifeline.Hub.Core;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Log;

/// <summary>
/// The single-process <see cref="IEntryLog"/>: one writer loop takes validated publishes from a bounded channel,
/// assigns ids, appends them to the store (memory or SQLite) and hands each committed batch to the sink. Invariants: ids
/// are assigned only by the writer loop and stay contiguous (a failed append gives its ids back); the store has one
/// writer (appends and retention both run on the writer loop). Thread-safe.
/// </summary>
internal sealed partial class LocalEntryLog : IEntryLog
{
    /// <summary>The most entries one commit takes: bounds a commit's memory and the time acks wait behind it.</summary>
    private const int MaxBatchEntries = 50_000;

    /// <summary>Publishes waiting for the writer: past this many, publishers wait (backpressure) instead of queueing more.</summary>
    private const int IngestQueueCapacity = 4096;

    private static readonly IngestWork RetentionWork = new([], null);

    private readonly HubOptions _options;
    private readonly TimeProvider _time;
    private readonly HubMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IdempotencyCache _idempotency;
    private readonly ILogStore _store;

    // Coalescing: the writer loop runs on its own (no synchronous continuations), so a publisher that writes here goes
    // back to reading its socket at once, and every publish that arrives while the writer commits and fans out the
    // previous batch is taken as one batch next time: one commit, and one frame per subscriber, for everything pending.
    // At low rates each publish wakes the writer at once: no timer, no added delay. (With synchronous continuations the
    // writer ran on the publisher's thread, which then read its next message only after the fan-out: one entry per
    // commit and per frame, whatever the load.)
    private readonly Channel<IngestWork> _ingest = Channel.CreateBounded<IngestWork>(new BoundedChannelOptions(IngestQueueCapacity) { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();

    // Owned by the writer loop.
    private ICommitSink _sink = null!;
    private long _lastAssigned;

    private long _committedId;
    private Task _writerLoop = Task.CompletedTask;
    private Task _retentionLoop = Task.CompletedTask;

    public LocalEntryLog(HubOptions options, HubMetrics metrics, ILogger logger)
    {
        _options = options;
        _time = options.TimeProvider;
        _metrics = metrics;
        _logger = logger;
        var keyLimits = new IdempotencyLimits(options.IdempotencyCapacity, options.IdempotencyWindow);
        _idempotency = new IdempotencyCache(keyLimits, _time);
        _store = options.Store == HubStoreKind.Sqlite
            ? new SqliteLogStore(options.SqlitePath, options.SqliteSynchronousFull, options.RetentionMaxBytes, keyLimits)
            : new MemoryLogStore(options.MemoryMaxEntries, options.MemoryMaxBytes);
    }

    public long LastId => Volatile.Read(ref _committedId);

    public long OldestId => _store.OldestId;

    public long Count => _store.Count;

    public long Bytes => _store.Bytes;

    public EngineStatus? Engine => null;

    public async ValueTask StartAsync(ICommitSink sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        await _store.OpenAsync(cancellationToken).ConfigureAwait(false);
        _committedId = _lastAssigned = _store.LastId;

        // Before any ingest is accepted: a retry of a batch stored before a restart is answered, not stored again.
        _idempotency.Restore(await _store.ReadIdempotencyKeysAsync(cancellationToken).ConfigureAwait(false));
        _writerLoop = WriterLoopAsync();
        if (_options.RetentionMaxAge is not null)
        {
            _retentionLoop = RetentionLoopAsync(_stopping.Token);
        }
    }

    public Task<(PublishResult Result, bool Replayed)> AppendAsync(List<EntryFields> entries, string? idempotencyKey, CancellationToken cancellationToken) =>
        IngestWork.SubmitAsync(_ingest.Writer, _idempotency, entries, idempotencyKey, cancellationToken);

    public ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken) =>
        _store.ReadAsync(afterId, max, into, cancellationToken);

    public async Task CompleteAsync()
    {
        _ingest.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _retentionLoop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await CompleteAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task WriterLoopAsync()
    {
        await Task.Yield();
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(buffer);
        var batch = new List<StoredEntry>();
        var works = new List<IngestWork>();
        var keys = new List<IdempotencyRecord>();
        while (await _ingest.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var retention = false;
            try
            {
                while (batch.Count < MaxBatchEntries && _ingest.Reader.TryRead(out var work))
                {
                    if (work == RetentionWork)
                    {
                        retention = true;
                        continue;
                    }

                    works.Add(work);
                    var now = _time.GetUtcNow();
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
                _lastAssigned = LastId;
                foreach (var w in works)
                {
                    w.Completion.TrySetException(e);
                }

                batch.Clear();
                works.Clear();
                keys.Clear();
                continue;
            }

            await CommitAsync(batch, works, keys).ConfigureAwait(false);
            if (retention)
            {
                await RunRetentionAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task CommitAsync(List<StoredEntry> batch, List<IngestWork> works, List<IdempotencyRecord> keys)
    {
        try
        {
            if (batch.Count > 0)
            {
                await _store.AppendAsync(batch, keys, CancellationToken.None).ConfigureAwait(false);
                Volatile.Write(ref _committedId, batch[^1].Id);
                _sink.Publish(batch);
                _metrics.Ingested(batch.Count);
            }

            foreach (var w in works)
            {
                w.Completion.TrySetResult(w.Result!);
            }
        }
        catch (Exception e)
        {
            // Nothing of the batch is visible: ids go back so they stay contiguous.
            _lastAssigned = LastId;
            LogAppendFailed(_logger, e, batch.Count);
            foreach (var w in works)
            {
                w.Completion.TrySetException(e);
            }
        }
        finally
        {
            // After the acks, and even if the sink failed half-way: a subscriber it claimed must be served.
            _sink.Deliver();
            batch.Clear();
            works.Clear();
            keys.Clear();
        }
    }

    private async Task RetentionLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.RetentionInterval, _time);
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
            var before = _time.GetUtcNow() - _options.RetentionMaxAge!.Value;
            var oldest = _store.OldestId;
            await _store.EnforceRetentionAsync(before.UtcTicks, CancellationToken.None).ConfigureAwait(false);
            if (_store.OldestId != oldest)
            {
                LogRetention(_logger, oldest, _store.OldestId - 1);
            }
        }
        catch (Exception e)
        {
            LogRetentionFailed(_logger, e);
        }
    }
}
