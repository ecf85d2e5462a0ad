using System.Net;
using System.Net.Sockets;
using Lifeline.Testing.Internal;
using Microsoft.Extensions.Logging;

namespace Lifeline.Testing.Faults;

/// <summary>
/// A TCP proxy on loopback, in front of an upstream endpoint, that injects network faults on command: cut every
/// connection (reset or clean close), go half-open in one or both directions, add latency, limit bandwidth, refuse
/// new connections, and heal. In the spirit of Toxiproxy, for tests of reconnect, dead-peer detection and resume.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe: every member may be called concurrently from any thread. Fault settings apply to existing and new
/// connections from the next chunk each pump forwards.
/// </para>
/// <para>
/// Every task the proxy starts (the accept loop, and per connection one task running two pumps) is tracked;
/// <see cref="StopAsync"/> and <see cref="DisposeAsync"/> close the listener and every connection and await all of
/// them, so nothing is left running.
/// </para>
/// </remarks>
public sealed partial class FaultProxy : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly EndPoint _upstream;
    private readonly FaultProxyOptions _options;
    private readonly HashSet<ProxyConnection> _connections = [];
    private readonly ThresholdWaiters _activeWaiters = new();
    private readonly ThresholdWaiters _totalWaiters = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _stopTask;
    private int _active;
    private long _total;
    private long _refused;
    private long _dropped;
    private readonly ThresholdWaiters _droppedWaiters = new();

    // Fault settings, read by the pumps without the lock.
    private volatile int _halfOpen;
    private long _latencyUpstreamTicks;
    private long _latencyDownstreamTicks;
    private volatile int _bandwidthUpstream;
    private volatile int _bandwidthDownstream;

    private FaultProxy(EndPoint upstream, FaultProxyOptions options)
    {
        _upstream = upstream;
        _options = options;
        EndPoint = options.ListenEndPoint;
        Logger = options.LoggerFactory.CreateLogger<FaultProxy>();
    }

    /// <summary>The endpoint clients connect to (127.0.0.1 and the bound port by default).</summary>
    public IPEndPoint EndPoint { get; private set; }

    /// <summary>The upstream endpoint every connection is forwarded to.</summary>
    public EndPoint Upstream => _upstream;

    /// <summary>
    /// Connections currently open: accepted and not yet ended (one whose upstream connect is still in progress counts).
    /// </summary>
    public int ActiveConnections
    {
        get
        {
            lock (_gate)
            {
                return _active;
            }
        }
    }

    /// <summary>
    /// Connections accepted since start, refused ones excluded. Counted when accepted, so it has grown by the time the
    /// upstream sees the connection.
    /// </summary>
    public long TotalConnections
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>Connections accepted and reset because of <see cref="RefusalMode.Reset"/>.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    /// <summary>Bytes read and discarded because their direction was half-open.</summary>
    public long DroppedBytes => Interlocked.Read(ref _dropped);

    /// <summary>The directions currently half-open (not forwarding), in either <see cref="HalfOpenMode"/>.</summary>
    public Direction HalfOpen => (Direction)(_halfOpen | _stalled);

    internal ILogger Logger { get; }

    internal int BufferSize => _options.BufferSize;

    internal TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>Starts a proxy listening on <see cref="FaultProxyOptions.ListenEndPoint"/> in front of <paramref name="upstream"/>.</summary>
    /// <param name="upstream">Where connections are forwarded.</param>
    /// <param name="options">Options; defaults when null. Copied: later changes have no effect.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The started proxy; dispose it to stop it.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static Task<FaultProxy> StartAsync(EndPoint upstream, FaultProxyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        cancellationToken.ThrowIfCancellationRequested();
        var copy = (options ?? new FaultProxyOptions()).Clone();
        copy.Validate();
        var proxy = new FaultProxy(upstream, copy);
        proxy.StartListening();
        return Task.FromResult(proxy);
    }

    /// <summary>A URI addressing the proxy, e.g. <c>GetUri("ws", "/stream")</c> gives <c>ws://127.0.0.1:port/stream</c>.</summary>
    /// <param name="scheme">The URI scheme (<c>ws</c>, <c>http</c>, ...).</param>
    /// <param name="path">The path, with or without a leading slash.</param>
    /// <returns>The URI.</returns>
    public Uri GetUri(string scheme, string path = "/")
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        return new UriBuilder(scheme, EndPoint.Address.ToString(), EndPoint.Port, path ?? "/").Uri;
    }

    /// <summary>Completes once at least <paramref name="count"/> connections are open at the same time (see <see cref="ActiveConnections"/>).</summary>
    /// <param name="count">At least 1.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the count is reached.</returns>
    public Task WaitForConnectionsAsync(int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return _activeWaiters.WaitAsync(count, cancellationToken);
    }

    /// <summary>
    /// Completes once <see cref="TotalConnections"/> reaches <paramref name="total"/>: e.g. after a cut, wait for
    /// <c>TotalConnections + 1</c> to see the client reconnect.
    /// </summary>
    /// <param name="total">At least 1.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the total is reached.</returns>
    public Task WaitForTotalConnectionsAsync(long total, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(total, 1);
        return _totalWaiters.WaitAsync(total, cancellationToken);
    }

    /// <summary>
    /// Completes once <see cref="DroppedBytes"/> reaches <paramref name="count"/>: proof that bytes sent while
    /// half-open reached the proxy and were lost, so a test can heal without racing them.
    /// </summary>
    /// <param name="count">At least 1.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the count is reached.</returns>
    public Task WaitForDroppedBytesAsync(long count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return _droppedWaiters.WaitAsync(count, cancellationToken);
    }

    /// <summary>Ends every current connection, both sides, and waits until their pumps have ended.</summary>
    /// <param name="mode">Reset (peers see a connection reset) or clean close (peers see end of stream).</param>
    /// <param name="cancellationToken">Cancels the wait (the cut itself has already happened).</param>
    /// <returns>A task that completes when every cut connection is gone.</returns>
    public Task CutAllAsync(CutMode mode = CutMode.Reset, CancellationToken cancellationToken = default)
    {
        ProxyConnection[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _connections];
        }

        Log.Cutting(Logger, snapshot.Length, mode);
        var tasks = new Task[snapshot.Length];
        for (var i = 0; i < snapshot.Length; i++)
        {
            snapshot[i].Abort(mode);
            tasks[i] = snapshot[i].Completion;
        }

        return Task.WhenAll(tasks).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops forwarding in <paramref name="direction"/> while both sockets stay open: bytes still read are
    /// discarded, as a dead network would lose them. Adds to directions already half-open.
    /// </summary>
    /// <param name="direction">The direction(s) to stop.</param>
    public void SetHalfOpen(Direction direction)
    {
        int current, next;
        do
        {
            current = _halfOpen;
            next = current | (int)(direction & Direction.Both);
        }
        while (Interlocked.CompareExchange(ref _halfOpen, next, current) != current);
        Log.HalfOpenSet(Logger, direction);
    }

    /// <summary>Holds every chunk forwarded in <paramref name="direction"/> for <paramref name="latency"/> first.</summary>
    /// <param name="direction">The direction(s).</param>
    /// <param name="latency">Zero for none; must not be negative.</param>
    /// <remarks>A pump holds one chunk at a time, so latency also bounds throughput, as on a slow link with a small window.</remarks>
    public void SetLatency(Direction direction, TimeSpan latency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        if (direction.HasFlag(Direction.Upstream))
        {
            Interlocked.Exchange(ref _latencyUpstreamTicks, latency.Ticks);
        }

        if (direction.HasFlag(Direction.Downstream))
        {
            Interlocked.Exchange(ref _latencyDownstreamTicks, latency.Ticks);
        }

        Log.LatencySet(Logger, direction, latency);
    }

    /// <summary>Limits forwarding in <paramref name="direction"/> to <paramref name="bytesPerSecond"/>.</summary>
    /// <param name="direction">The direction(s).</param>
    /// <param name="bytesPerSecond">Zero for unlimited; must not be negative. Bytes go out in slices of at most this size, each followed by a pause of its size divided by the rate.</param>
    public void SetBandwidth(Direction direction, int bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        if (direction.HasFlag(Direction.Upstream))
        {
            _bandwidthUpstream = bytesPerSecond;
        }

        if (direction.HasFlag(Direction.Downstream))
        {
            _bandwidthDownstream = bytesPerSecond;
        }

        Log.BandwidthSet(Logger, direction, bytesPerSecond);
    }

    /// <summary>
    /// Removes half-open, latency and bandwidth faults; new bytes flow again (bytes discarded while half-open stay
    /// lost; bytes held by a stall are forwarded). Refusal is separate: see <see cref="AcceptNewConnectionsAsync"/>.
    /// </summary>
    public void Heal()
    {
        _halfOpen = 0;
        HealStalls();
        Interlocked.Exchange(ref _latencyUpstreamTicks, 0);
        Interlocked.Exchange(ref _latencyDownstreamTicks, 0);
        _bandwidthUpstream = 0;
        _bandwidthDownstream = 0;
        Log.Healed(Logger);
    }

    /// <summary>Stops the proxy: closes the listener and every connection (reset) and awaits every task it started.</summary>
    /// <param name="cancellationToken">Cancels the wait; the stop itself continues and a later call awaits it.</param>
    /// <returns>A task that completes when nothing the proxy started is running.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task stop;
        lock (_gate)
        {
            // Shutdown is signalled once; later callers await the same stop.
            _stopTask ??= Task.Run(StopCoreAsync, CancellationToken.None);
            stop = _stopTask;
        }

        return stop.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    internal bool IsHalfOpen(Direction direction) => (_halfOpen & (int)direction) != 0;

    internal TimeSpan GetLatency(Direction direction)
        => TimeSpan.FromTicks(Interlocked.Read(ref direction == Direction.Upstream ? ref _latencyUpstreamTicks : ref _latencyDownstreamTicks));

    internal int GetBandwidth(Direction direction) => direction == Direction.Upstream ? _bandwidthUpstream : _bandwidthDownstream;

    internal void OnDropped(int count)
    {
        lock (_gate)
        {
            _dropped += count;
            _droppedWaiters.Publish(_dropped);
        }
    }

    /// <summary>The accept loop and every connection's task, for tests that prove shutdown leaves nothing running.</summary>
    internal IReadOnlyList<Task> GetTrackedTasks()
    {
        lock (_gate)
        {
            var tasks = _connections.Select(c => c.Completion).ToList();
            if (_acceptLoop is { } accept)
            {
                tasks.Add(accept);
            }

            return tasks;
        }
    }

    internal void OnConnectionEnded(ProxyConnection connection)
    {
        lock (_gate)
        {
            // Invariant: _active == _connections.Count.
            _connections.Remove(connection);
            _active = _connections.Count;
            _activeWaiters.Publish(_active);
        }
    }

    private async Task StopCoreAsync()
    {
        Log.Stopping(Logger);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await StopListeningAsync().ConfigureAwait(false);

        // At this point the accept loop has ended and, since _stopping is cancelled, no connection can be added.
        await CutAllAsync(CutMode.Reset, CancellationToken.None).ConfigureAwait(false);
    }
}
