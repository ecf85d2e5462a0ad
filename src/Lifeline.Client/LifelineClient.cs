using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Lifeline.Client.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lifeline.Client;

/// <summary>
/// A resilient WebSocket client: reconnects with jittered exponential backoff, detects dead peers, buffers sends
/// while disconnected and flushes them after <see cref="LifelineClientOptions.OnConnected"/>, and ends every task,
/// timer and socket it started when <see cref="StopAsync"/> returns. See docs/client.md.
/// </summary>
/// <remarks>
/// Thread-safe: every member may be called from any thread, concurrently, including from its own event handlers.
/// A client is single-use: after <see cref="StopAsync"/> it cannot be started again.
/// Event handlers run one at a time, in order, on the client's dispatch loop (never on its socket loops), so a handler
/// may call <see cref="StopAsync"/>; a handler that throws is logged and reported as <see cref="ErrorCategory.Handler"/>.
/// </remarks>
public sealed partial class LifelineClient : IAsyncDisposable
{
    private readonly LifelineClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly ClientMetrics _metrics;
    private readonly SendBuffer _sendBuffer;
    private readonly Channel<ReceivedMessage>? _inbox;
    private readonly AsyncSignal _inboxRoom = new();
    private int _inboxCount;
    private readonly int _inboxResumeCount;   // InboxResumeCountFor(ReceiveBufferCapacity): options are fixed once built
    private readonly Channel<ConnectionEnd> _closeEvents = Channel.CreateUnbounded<ConnectionEnd>(new UnboundedChannelOptions { SingleReader = true });
    private readonly UnstoppedClientTracker _tracker;
    private readonly Lock _gate = new();

    // Shutdown is signalled once, under _gate: _stopCts ends the supervisor and every wait; _hardStopCts (any StopAsync
    // caller's token, or CloseTimeout) cuts the graceful close short by aborting the socket.
    private readonly CancellationTokenSource _stopCts = new();
    private readonly CancellationTokenSource _hardStopCts = new();
    private Task _runLoop = Task.CompletedTask;
    private Task<StopReport>? _stopTask;
    private bool _started;
    private int _readerActive;
    private TaskCompletionSource _connected = NewSignal();
    private TaskCompletionSource? _wake;
    private ClientFaultedException? _fault;

    /// <summary>Creates a client; nothing happens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The settings, validated and copied now.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public LifelineClient(LifelineClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _time = _options.TimeProvider;
        _logger = _options.LoggerFactory?.CreateLogger<LifelineClient>() ?? NullLogger<LifelineClient>.Instance;
        _name = _options.Name ?? (_options.Uri is { } uri ? uri.Authority : "lifeline-client");
        _metrics = new ClientMetrics(_name, _options.MeterFactory);
        _sendBuffer = new SendBuffer(_options.SendBuffer, _time, _metrics);
        _metrics.Buffer = _sendBuffer;
        _messageSlots = new SemaphoreSlim(_options.ReceiveBufferCapacity, _options.ReceiveBufferCapacity);
        _inboxResumeCount = InboxResumeCountFor(_options.ReceiveBufferCapacity);
        if (_options.EnableReadAll)
        {
            // The single-consumer unbounded channel is the cheapest hand-off; _inboxCount bounds it (see DeliverAsync).
            _inbox = Channel.CreateUnbounded<ReceivedMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        }

        _tracker = new UnstoppedClientTracker(_logger, _name, _metrics, _options.TrackUnstoppedClients);
    }

    /// <summary>The current state (see docs/client.md for the transitions).</summary>
    public ClientState State => _metrics.State;

    /// <summary>Why the client gave up, once <see cref="State"/> is <see cref="ClientState.Faulted"/>; otherwise null.</summary>
    public ClientFaultedException? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Starts the client and returns at once: the first connect happens in the background, with the same retries as any
    /// reconnect. Await <see cref="WaitUntilConnectedAsync"/> to wait for it. A second call while running does nothing.
    /// </summary>
    /// <param name="cancellationToken">Only checked on entry.</param>
    /// <exception cref="InvalidOperationException">The client was stopped (clients are single-use).</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopTask is not null, this);
            if (_started)
            {
                return Task.CompletedTask;
            }

            _started = true;
            _tracker.MarkStarted();
            SetState(ClientState.Connecting);

            // The supervisor runs off the caller's stack; it is the only loop that connects, so at most one connect or
            // reconnect is ever pending.
            _runLoop = Task.Run(RunAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>Completes once the client is <see cref="ClientState.Connected"/> (at once if it is).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ClientFaultedException">The client gave up reconnecting.</exception>
    /// <exception cref="ObjectDisposedException">The client was stopped.</exception>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// If the client is waiting out a backoff delay, connects now and resets the backoff. Does nothing while connecting,
    /// connected, faulted or stopped, so a burst of calls still leaves exactly one connect attempt.
    /// </summary>
    public void ReconnectNow()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            wake = _wake;
        }

        wake?.TrySetResult();
    }

    /// <summary>
    /// Stops the client: closes the connection (close handshake, 1000), ends every task, timer and socket it started,
    /// fails buffered sends with <see cref="SendStatus.Failed"/>, and completes <see cref="ReadAllAsync"/>.
    /// Idempotent and safe to call concurrently and from event handlers.
    /// </summary>
    /// <param name="cancellationToken">When it fires, the graceful part (finishing the message being written, the close
    /// handshake) is cut short: the socket is aborted and the stop completes promptly. It never makes StopAsync throw.</param>
    /// <returns>What was done and what had to be abandoned. When called from one of this client's event handlers, it
    /// completes before that handler's own dispatch loop has ended (it ends as soon as the handler returns). When called
    /// from <see cref="LifelineClientOptions.OnConnected"/>, it only requests the stop (which runs once the hook returns)
    /// and reports that; call it again from elsewhere to await the full stop.</returns>
    public async Task<StopReport> StopAsync(CancellationToken cancellationToken)
    {
        Task<StopReport> stop;
        lock (_gate)
        {
            _stopTask ??= StopCoreAsync();
            stop = _stopTask;
        }

        if (s_onConnectedScope.Value is { } scoped && ReferenceEquals(scoped, Volatile.Read(ref _current)))
        {
            // Called from OnConnected, which runs on the supervisor: waiting for the supervisor here would deadlock.
            // The stop proceeds as soon as the hook returns (its token is already cancelled).
            return new StopReport(State, closedGracefully: false, deadlineReached: false, abandonedSends: 0, ["stop requested from OnConnected: it completes after the hook returns"]);
        }

        using (cancellationToken.UnsafeRegister(static s => ((LifelineClient)s!).HardStop(), this))
        {
            var report = await stop.ConfigureAwait(false);
            if (!IsOnDispatchLoop)
            {
                await DrainEventsAsync().ConfigureAwait(false);
            }

            return report;
        }
    }

    /// <summary>Stops the client (see <see cref="StopAsync"/>) with no deadline beyond <see cref="LifelineClientOptions.CloseTimeout"/>.</summary>
    /// <returns>A task that completes when everything has ended.</returns>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>
    /// The received messages, in order, across reconnects, until the client stops or faults (then the enumeration ends
    /// after the queued messages). One enumeration at a time. Messages are queued from <see cref="StartAsync"/> on, up to
    /// <see cref="LifelineClientOptions.ReceiveBufferCapacity"/>; beyond that the client stops reading the socket until you catch up.
    /// </summary>
    /// <param name="cancellationToken">Ends the enumeration (with <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="InvalidOperationException"><see cref="LifelineClientOptions.EnableReadAll"/> is off, or another enumeration is active.</exception>
    public IAsyncEnumerable<ReceivedMessage> ReadAllAsync(CancellationToken cancellationToken)
    {
        if (_inbox is null)
        {
            throw new InvalidOperationException("ReadAllAsync needs LifelineClientOptions.EnableReadAll = true.");
        }

        if (Interlocked.Exchange(ref _readerActive, 1) == 1)
        {
            throw new InvalidOperationException("Another ReadAllAsync enumeration is active; a client has one message stream.");
        }

        return ReadInboxAsync(_inbox.Reader, cancellationToken);
    }

    /// <summary>The client's counters now (the same figures as its <c>Lifeline.Client</c> meter).</summary>
    /// <returns>A snapshot.</returns>
    public ClientMetricsSnapshot GetSnapshot() => _metrics.Snapshot();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async IAsyncEnumerable<ReceivedMessage> ReadInboxAsync(ChannelReader<ReceivedMessage> reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    InboxTaken();
                    yield return message;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _readerActive, 0);
        }
    }

    private void SetState(ClientState state) => _metrics.State = state;

    private void HardStop()
    {
        try
        {
            _hardStopCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Never disposed while a stop can still read it; nothing to do.
        }
    }
}
