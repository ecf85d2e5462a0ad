using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.Channels;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lifeline.Hub.Client.Shipping;

/// <summary>
/// The shared core of the logging provider and the Serilog sink: a bounded buffer that never blocks the caller,
/// and one background loop that publishes batches, one at a time, until each is acknowledged.
/// </summary>
/// <remarks>
/// Thread-safety: <see cref="Enqueue"/> may be called from any number of threads at once; it never blocks and never
/// throws. Invariants:
/// <list type="bullet">
/// <item>Every entry accepted by <see cref="Enqueue"/> ends in exactly one of: acknowledged, dropped (oldest waiting
/// when the buffer was full), rejected (the hub refused it), lost (shutdown deadline passed). <see cref="GetStats"/>
/// counts each.</item>
/// <item>A batch, once taken from the buffer, is never dropped: it is retried (by the publisher, with the same ref)
/// until acknowledged, so nothing acknowledged is sent twice and the drop count is exact.</item>
/// <item>Drops are reported by one summary entry placed first in the next batch taken after the drops: that batch
/// is taken only after the previous one was acknowledged, i.e. once the hub is back.</item>
/// </list>
/// </remarks>
internal sealed partial class LogShipper : IAsyncDisposable
{
    /// <summary>Longest hub source, per the protocol.</summary>
    internal const int MaxSourceLength = LogEntry.MaxSourceLength;

    private const string MeterName = "Lifeline.Shipping";

    /// <summary>The meter of shippers whose host gives no meter factory: one for the process, as it never ends.</summary>
    private static readonly Lazy<Meter> s_ownMeter = new(() => new Meter(MeterName, "1.0"));

    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(1);

    private readonly Counter<long> _acknowledgedCounter;
    private readonly Counter<long> _droppedCounter;
    private readonly Counter<long> _rejectedCounter;
    private readonly ILogBatchPublisher _publisher;
    private readonly Channel<PendingEntry> _buffer;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _abort = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _shutdownTimeout;
    private readonly string _summarySource;
    private readonly Lock _shutdownLock = new();
    private readonly Task _loop;

    private Task? _shutdown;
    private long _enqueued;
    private int _waiting;
    private int _inFlight;
    private int _wakeRequested;
    private volatile bool _flushing;
    private long _acknowledgedCount;
    private long _droppedCount;
    private long _droppedUnreported;
    private long _rejectedCount;
    private long _lostCount;

    /// <summary>Creates the shipper and starts its publishing loop.</summary>
    public LogShipper(LogShippingOptions options, ILogBatchPublisher publisher)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(publisher);
        _publisher = publisher;
        // A factory's meter is the factory's to dispose; it caches meters (and the meter its instruments) by name.
        var meter = options.MeterFactory?.Create(new MeterOptions(MeterName) { Version = "1.0" }) ?? s_ownMeter.Value;
        _acknowledgedCounter = meter.CreateCounter<long>("lifeline.shipping.acknowledged", "{entry}", "Entries acknowledged by the hub.");
        _droppedCounter = meter.CreateCounter<long>("lifeline.shipping.dropped", "{entry}", "Entries dropped because the buffer was full.");
        _rejectedCounter = meter.CreateCounter<long>("lifeline.shipping.rejected", "{entry}", "Entries the hub rejected as invalid.");
        _time = options.TimeProvider;
        _maxBatch = options.MaxBatchSize;
        _interval = options.BatchInterval;
        _shutdownTimeout = options.ShutdownTimeout;
        _summarySource = options.SummarySource;
        _logger = options.DiagnosticsLoggerFactory?.CreateLogger("Lifeline.Hub.Client.Shipping.LogShipper") ?? NullLogger.Instance;
        _buffer = Channel.CreateBounded<PendingEntry>(
            new BoundedChannelOptions(options.BufferCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                AllowSynchronousContinuations = false,
            },
            OnDropped);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Raised (on the shipping loop) after a batch is taken and after it is acknowledged; for tests and diagnostics.</summary>
    internal event Action<LogShipperStats>? StatsChanged;

    /// <summary>Accepts an entry without blocking. After shutdown began, the entry is counted as lost.</summary>
    public void Enqueue(in PendingEntry entry)
    {
        var accepted = entry.Source.Length > MaxSourceLength ? entry with { Source = entry.Source[..MaxSourceLength] } : entry;

        Interlocked.Increment(ref _enqueued);

        // Count before writing so that the drop callback (which decrements) can never make _waiting negative.
        var waiting = Interlocked.Increment(ref _waiting);
        if (!_buffer.Writer.TryWrite(accepted))
        {
            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _lostCount);
            return;
        }

        if (waiting >= _maxBatch && Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>A consistent-enough snapshot of the counters (each read atomically).</summary>
    public LogShipperStats GetStats() => new(
        Interlocked.Read(ref _enqueued),
        Volatile.Read(ref _waiting),
        Volatile.Read(ref _inFlight),
        Interlocked.Read(ref _acknowledgedCount),
        Interlocked.Read(ref _droppedCount),
        Interlocked.Read(ref _rejectedCount),
        Interlocked.Read(ref _lostCount));

    /// <summary>
    /// Stops accepting entries, publishes everything buffered and waits for its acknowledgement for at most
    /// <see cref="LogShippingOptions.ShutdownTimeout"/>; then gives up on the rest (counted as lost) and disposes the publisher.
    /// Safe to call more than once and concurrently: every caller awaits the same shutdown.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_shutdownLock)
        {
            _shutdown ??= ShutdownAsync();
        }

        return new ValueTask(_shutdown);
    }

    private async Task ShutdownAsync()
    {
        // Signalled once, under the lock: complete the writer, then wake the loop so it stops waiting for a full batch.
        _flushing = true;
        _buffer.Writer.TryComplete();
        _wake.Release();

        try
        {
            await _loop.WaitAsync(_shutdownTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            Log.ShutdownDeadlinePassed(_logger, _shutdownTimeout, Interlocked.Read(ref _lostCount));
        }

        // At this point the loop has ended: every entry is acknowledged, rejected, dropped or counted as lost.
        // _wake is deliberately not disposed: an Enqueue racing with shutdown may still release it, and a log call must
        // never throw. A SemaphoreSlim whose wait handle is never used holds no unmanaged resource.
        await _publisher.DisposeAsync().ConfigureAwait(false);
        _abort.Dispose();
    }

    private void OnDropped(PendingEntry entry)
    {
        Interlocked.Decrement(ref _waiting);
        Interlocked.Increment(ref _droppedCount);
        Interlocked.Increment(ref _droppedUnreported);
        _droppedCounter.Add(1);
    }

    private async Task RunAsync()
    {
        var reader = _buffer.Reader;
        var batch = new List<LogEntry>(_maxBatch + 1);
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                await WaitForBatchAsync().ConfigureAwait(false);

                batch.Clear();
                AddDropSummary(batch);
                while (batch.Count < _maxBatch && reader.TryRead(out var entry))
                {
                    Interlocked.Decrement(ref _waiting);
                    batch.Add(entry.ToLogEntry());
                }

                Volatile.Write(ref _inFlight, batch.Count);
                StatsChanged?.Invoke(GetStats());
                await PublishAsync(batch).ConfigureAwait(false);
                Volatile.Write(ref _inFlight, 0);
                StatsChanged?.Invoke(GetStats());
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutdown deadline: the batch in flight and everything still waiting are lost (and counted).
            var lost = Volatile.Read(ref _inFlight);
            while (reader.TryRead(out _))
            {
                Interlocked.Decrement(ref _waiting);
                lost++;
            }

            Volatile.Write(ref _inFlight, 0);
            Interlocked.Add(ref _lostCount, lost);
        }
    }

    /// <summary>Returns when a full batch is waiting, the batch interval has passed, or shutdown wants everything now.</summary>
    private async Task WaitForBatchAsync()
    {
        Volatile.Write(ref _wakeRequested, 0);
        while (_wake.CurrentCount > 0 && _wake.Wait(0))
        {
            // Drain stale wake-ups: each was for a batch that an earlier iteration already took.
        }

        if (_flushing || _interval == TimeSpan.Zero || Volatile.Read(ref _waiting) >= _maxBatch)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_interval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _abort.Token);
        try
        {
            await _wake.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_abort.IsCancellationRequested)
        {
            // The interval passed: publish what is there.
        }
    }

    private void AddDropSummary(List<LogEntry> batch)
    {
        var dropped = Interlocked.Exchange(ref _droppedUnreported, 0);
        if (dropped == 0)
        {
            return;
        }

        Log.DroppedReported(_logger, dropped);
        var props = PropertyBag.Rent();
        props.Add("dropped", dropped);
        var message = string.Create(CultureInfo.InvariantCulture, $"{dropped} entries dropped while the hub was unreachable");
        batch.Add(new PendingEntry(_time.GetUtcNow(), Lifeline.Protocol.LogEntryLevel.Warning, _summarySource, message, props.Build()).ToLogEntry());
    }

    /// <summary>Publishes until acknowledged; an entry the hub names as invalid is removed and the rest retried.</summary>
    private async Task PublishAsync(List<LogEntry> batch)
    {
        while (batch.Count > 0)
        {
            try
            {
                await _publisher.PublishAsync(batch, _abort.Token).ConfigureAwait(false);
                Interlocked.Add(ref _acknowledgedCount, batch.Count);
                _acknowledgedCounter.Add(batch.Count);
                return;
            }
            catch (HubPublishRejectedException ex) when (ex.Error == ErrorCodes.Unavailable)
            {
                // Not a verdict on the entries: the hub could not store them now (the client already retried the same ref
                // as long as its Reconnect.MaxAttempts allows). Never rejected: the batch is retried, like any failure.
                Log.PublishFailed(_logger, batch.Count, s_retryDelay, ex);
                await Task.Delay(s_retryDelay, _time, _abort.Token).ConfigureAwait(false);
            }
            catch (HubPublishRejectedException ex) when (ex.Index is int index && index >= 0 && index < batch.Count)
            {
                Reject(batch[index], ex);
                batch.RemoveAt(index);
                Volatile.Write(ref _inFlight, batch.Count);
            }
            catch (HubPublishRejectedException ex) when (batch.Count == 1)
            {
                Reject(batch[0], ex);
                return;
            }
            catch (HubPublishRejectedException)
            {
                // The hub refused the batch without naming an entry (e.g. too large): publish one entry at a time.
                var single = new List<LogEntry>(1);
                foreach (var entry in batch.ToArray())
                {
                    single.Clear();
                    single.Add(entry);
                    await PublishAsync(single).ConfigureAwait(false);
                }

                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.PublishFailed(_logger, batch.Count, s_retryDelay, ex);
                await Task.Delay(s_retryDelay, _time, _abort.Token).ConfigureAwait(false);
            }
        }
    }

    private void Reject(LogEntry entry, HubPublishRejectedException ex)
    {
        Interlocked.Increment(ref _rejectedCount);
        _rejectedCounter.Add(1);
        Log.EntryRejected(_logger, entry.Source, ex.Error, ex);
    }
}
