using System.Net.WebSockets;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Ingest;
using Lifeline.Hub.Log;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Streaming;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Core;

/// <summary>
/// The hub, composed of three parts that each own one concern: the <see cref="IEntryLog"/> (ids, durability,
/// idempotency, retention), the <see cref="FanOut"/> (live delivery, the resume seam, heartbeats) and the
/// <see cref="HubLifetime"/> (draining and requests in flight); plus the open connections. The log hands each committed
/// batch to the fan-out. This type wires them, starts them, and stops them in order (docs/hub.md, "Shutdown").
/// Endpoints use it; connections get only the parts they use. Thread-safe.
/// </summary>
internal sealed partial class LogHub : IAsyncDisposable
{
    private readonly ILogger<LogHub> _logger;
    private readonly Lock _stopLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _stopTask;

    public LogHub(IOptions<HubOptions> options, ILoggerFactory loggers, HubMetrics metrics, ConnectionRegistry connections)
    {
        var o = options.Value;
        o.Validate();
        _logger = loggers.CreateLogger<LogHub>();
        Context = new HubContext(o, metrics, o.TimeProvider);
        Connections = connections;
        Log = o.IsCluster ? new JetStreamEntryLog(o, metrics, _logger) : new LocalEntryLog(o, metrics, _logger);
        FanOut = new FanOut(o, metrics);
        StartedAt = Time.GetUtcNow();
    }

    public HubContext Context { get; }

    public HubOptions Options => Context.Options;

    public TimeProvider Time => Context.Time;

    public HubMetrics Metrics => Context.Metrics;

    public IEntryLog Log { get; }

    public FanOut FanOut { get; }

    public HubLifetime Lifetime { get; } = new();

    public ConnectionRegistry Connections { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The newest id in the log and fanned out to subscribers.</summary>
    public long CommittedId => FanOut.CommittedId;

    /// <summary>Whether the hub is shutting down (new connections and ingests are refused).</summary>
    public bool IsDraining => Lifetime.IsDraining;

    /// <summary>The current subscribers.</summary>
    public IEnumerable<Subscriber> Subscribers => FanOut.Subscribers;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Log.StartAsync(FanOut, cancellationToken).ConfigureAwait(false);
        FanOut.Start(Log.LastId);
        Metrics.Attach(this);
        FanOut.StartHeartbeats(_stopping.Token);
        LogStarted(_logger, Options.Store, Log.OldestId, Log.LastId);
    }

    /// <summary>Stores a validated batch; completes once it is in the log. A remembered <paramref name="idempotencyKey"/> replays the first answer.</summary>
    public Task<(PublishResult Result, bool Replayed)> IngestAsync(List<EntryFields> entries, string? idempotencyKey, CancellationToken cancellationToken) =>
        Log.AppendAsync(entries, idempotencyKey, cancellationToken);

    /// <inheritdoc cref="HubLifetime.TryEnterRequest"/>
    public bool TryEnterRequest() => Lifetime.TryEnterRequest();

    /// <inheritdoc cref="HubLifetime.ExitRequest"/>
    public void ExitRequest() => Lifetime.ExitRequest();

    /// <summary>A <c>/v1/stream</c> subscriber on <paramref name="socket"/>, to run with <see cref="RunConnectionAsync"/>.</summary>
    public Subscriber CreateSubscriber(WebSocket socket, LogFilter filter, string? clientId, ApiKey? key, ILogger logger) =>
        new(socket, Context, FanOut, Log, filter, clientId, key, logger);

    /// <summary>A <c>/v1/ingest</c> publisher on <paramref name="socket"/>, to run with <see cref="RunConnectionAsync"/>.</summary>
    public IngestConnection CreatePublisher(WebSocket socket, string? clientId, ApiKey? key, ILogger logger) =>
        new(socket, Context, Log, clientId, key, logger);

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
        if (Lifetime.TryBeginDrain())
        {
            LogDraining(_logger, Connections.Count);
            Connections.CloseAll(CloseReasonFor);
        }
    }

    /// <summary>Graceful stop (docs/hub.md, "Shutdown"). Safe to call more than once; every call awaits the same stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
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
        var deadline = Time.GetTimestamp() + (long)(Options.ShutdownTimeout.TotalSeconds * Time.TimestampFrequency);
        TimeSpan Remaining() => TimeSpan.FromSeconds(Math.Max(0, deadline - Time.GetTimestamp()) / (double)Time.TimestampFrequency);

        // Connections finish their acks and close handshakes; POSTs finish their appends; then the log flushes.
        await Connections.WaitAllAsync(Remaining(), Time).ConfigureAwait(false);
        try
        {
            await Lifetime.WaitForRequestsAsync(Remaining(), Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogDrainTimeout(_logger, Lifetime.Inflight);
        }

        // At this point: nothing new can reach the log (draining refuses requests; connections are gone).
        await Log.CompleteAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await FanOut.Heartbeats.ConfigureAwait(false);
        Metrics.Detach();
        await Log.DisposeAsync().ConfigureAwait(false);
        LogStopped(_logger, Log.LastId);
    }

    private CloseReason CloseReasonFor(long? resumeAfter)
    {
        var (min, max) = Options.ReconnectJitter;
        var ms = (int)(min.TotalMilliseconds + (Random.Shared.NextDouble() * (max - min).TotalMilliseconds));
        return new CloseReason(resumeAfter, ms);
    }
}
