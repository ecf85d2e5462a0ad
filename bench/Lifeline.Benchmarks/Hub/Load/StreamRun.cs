using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// A running stream load: N lean subscribers (read by one epoll thread on Linux) and one paced publisher whose rate can
/// change while it runs: the hub's <c>/v1/ingest</c>, or a baseline server's publisher (<see cref="HubLoadOptions.BaselinePublisher"/>).
/// <see cref="MeasureAsync"/> counts what the subscribers received, what was published and what the server used over a
/// window. <see cref="DisposeAsync"/> stops and awaits everything.
/// </summary>
internal sealed class StreamRun : IAsyncDisposable
{
    private readonly Uri _hub;
    private readonly HubLoadOptions _options;
    private readonly List<LeanSubscriber> _subscribers;
    private readonly EpollLoop? _epoll;
    private readonly Task[] _receiving;
    private readonly Task _publisher;
    private readonly Task _keepAlive;
    private readonly CancellationTokenSource _stop;
    private readonly PublishPace _pace;

    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    private StreamRun(Uri hub, HubLoadOptions options, List<LeanSubscriber> subscribers, int rate, CancellationToken cancellationToken)
    {
        _hub = hub;
        _options = options;
        _subscribers = subscribers;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _epoll = OperatingSystem.IsLinux() ? EpollLoop.Start(subscribers) : null;
        _receiving = _epoll is null ? [.. subscribers.Select(s => s.RunAsync(_stop.Token))] : [];
        _keepAlive = KeepAliveLoopAsync(subscribers, options.Format, _stop.Token);
        _pace = new PublishPace(rate);
        _publisher = options.BaselinePublisher is { } publish
            ? publish(hub, _pace, _stop.Token)
            : LoadTraffic.PacedPublishLoopAsync(new Uri(hub.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), options.Key, options.EntryBytes, options.PerPublish, _pace, _stop.Token);
    }

    /// <summary>Entries per second the publisher sends; may change while running.</summary>
    public int Rate
    {
        get => _pace.Rate;
        set => _pace.Rate = value;
    }

    /// <summary>Subscribers that saw ids go backwards (never expected).</summary>
    public int Disordered => _subscribers.Count(s => s.SawDisorder);

    /// <summary>Subscribers whose stream ended (the server closed it: never expected during a run).</summary>
    public int Closed => _epoll?.Closed ?? _receiving.Count(r => r.IsCompleted);

    /// <summary>Starts reading <paramref name="subscribers"/> (connected, now owned by the run) and publishing at <paramref name="rate"/>.</summary>
    public static StreamRun Start(Uri hub, HubLoadOptions options, List<LeanSubscriber> subscribers, int rate, CancellationToken cancellationToken) =>
        new(hub, options, subscribers, rate, cancellationToken);

    /// <summary>
    /// Counts over <paramref name="duration"/>: entries delivered to all subscribers, entries published (acknowledged by
    /// the hub; handed to the transport, for a baseline without acks), payload bytes delivered and the server's CPU.
    /// </summary>
    public async Task<StreamWindow> MeasureAsync(TimeSpan duration, Action<long, double>? tick, CancellationToken cancellationToken)
    {
        var delivered0 = _subscribers.Sum(s => s.Entries);
        var bytes0 = _subscribers.Sum(s => s.PayloadBytes);
        var published0 = Published;
        var sent0 = _pace.Sent;
        var cpu0 = CpuSample.Take(_options.ReadTargetCpu, _options.TargetCore);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp((duration - watch.Elapsed).TotalMilliseconds, 1, 1_000)), cancellationToken).ConfigureAwait(false);
            var delivered = _subscribers.Sum(s => s.Entries) - delivered0;
            tick?.Invoke(delivered, delivered / watch.Elapsed.TotalSeconds);
        }

        var cpu = CpuSample.Take(_options.ReadTargetCpu, _options.TargetCore) - cpu0;
        return new StreamWindow(
            _subscribers.Sum(s => s.Entries) - delivered0,
            Published - published0,
            _pace.Sent - sent0,
            _subscribers.Sum(s => s.PayloadBytes) - bytes0,
            watch.Elapsed,
            cpu);
    }

    /// <summary>
    /// Stops publishing until the subscribers stop receiving (nothing new over 200 ms) or 5 s passed, then leaves the
    /// rate at 0: what the server held back is delivered before the next window.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        Rate = 0;
        var deadline = Stopwatch.StartNew();
        var seen = -1L;
        while (deadline.Elapsed < DrainLimit)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            var now = _subscribers.Sum(s => s.Entries);
            if (now == seen)
            {
                return;
            }

            seen = now;
        }
    }

    /// <summary>The hub's count of subscriber queue overflows (<c>GET /v1/stats</c>); 0 for a baseline server (it has none: it blocks instead of dropping).</summary>
    public async Task<long> OverflowsAsync(CancellationToken cancellationToken)
    {
        if (_options.BaselinePublisher is not null)
        {
            return 0;
        }

        using var http = LoadTraffic.Http(_hub, _options.Key);
        using var stats = await http.GetFromJsonAsync<JsonDocument>(new Uri("v1/stats", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return stats!.RootElement.GetProperty("overflows").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _publisher.ConfigureAwait(false);
        await _keepAlive.ConfigureAwait(false);
        if (_epoll is not null)
        {
            await _epoll.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_receiving).ConfigureAwait(false);
        foreach (var s in _subscribers)
        {
            await s.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    /// <summary>Sends each subscriber's keep-alive every <see cref="LeanFormat.KeepAliveInterval"/> until cancelled (nothing, for a format without one).</summary>
    public static async Task KeepAliveLoopAsync(IReadOnlyList<LeanSubscriber> subscribers, LeanFormat format, CancellationToken cancellationToken)
    {
        if (format.KeepAlive is null)
        {
            return;
        }

        try
        {
            using var timer = new PeriodicTimer(LeanFormat.KeepAliveInterval);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var s in subscribers)
                {
                    s.SendKeepAlive();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // What the server took: acks from the hub; a baseline without acks, what was handed to the transport.
    private long Published => _options.BaselinePublisher is null ? _pace.Acked : _pace.Sent;
}

/// <summary>What a <see cref="StreamRun"/> window counted.</summary>
/// <param name="Delivered">Entries received by all subscribers together.</param>
/// <param name="Published">Entries the server took (acknowledged by the hub; sent, for a baseline without acks).</param>
/// <param name="Sent">Entries the publisher sent.</param>
/// <param name="PayloadBytes">Text-frame payload bytes received by all subscribers.</param>
/// <param name="Elapsed">The window's length.</param>
/// <param name="Cpu">The server's CPU over the window.</param>
internal readonly record struct StreamWindow(long Delivered, long Published, long Sent, long PayloadBytes, TimeSpan Elapsed, CpuSample Cpu);
