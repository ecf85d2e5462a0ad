using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// A running stream load: N lean subscribers on <c>/v1/stream</c> (read by one epoll thread on Linux) and one paced
/// WebSocket publisher whose rate can change while it runs. <see cref="MeasureAsync"/> counts what the subscribers
/// received and what the hub acknowledged over a window. <see cref="DisposeAsync"/> stops and awaits everything.
/// </summary>
internal sealed class StreamRun : IAsyncDisposable
{
    private readonly Uri _hub;
    private readonly string? _key;
    private readonly List<LeanSubscriber> _subscribers;
    private readonly EpollLoop? _epoll;
    private readonly Task[] _receiving;
    private readonly Task _publisher;
    private readonly CancellationTokenSource _stop;
    private readonly StrongBox<long> _acked = new();
    private readonly StrongBox<int> _rate;

    private StreamRun(Uri hub, string? key, List<LeanSubscriber> subscribers, int rate, int entryBytes, CancellationToken cancellationToken)
    {
        _hub = hub;
        _key = key;
        _subscribers = subscribers;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _epoll = OperatingSystem.IsLinux() ? EpollLoop.Start(subscribers) : null;
        _receiving = _epoll is null ? [.. subscribers.Select(s => s.RunAsync(_stop.Token))] : [];
        _rate = new StrongBox<int>(rate);
        var ws = new Uri(hub.ToString().Replace("http://", "ws://", StringComparison.Ordinal));
        _publisher = LoadTraffic.PacedPublishLoopAsync(ws, key, entryBytes, _rate, _acked, _stop.Token);
    }

    /// <summary>Entries per second the publisher sends (in 10 ms ticks); may change while running.</summary>
    public int Rate
    {
        get => Volatile.Read(ref _rate.Value);
        set => Volatile.Write(ref _rate.Value, value);
    }

    /// <summary>Subscribers that saw ids go backwards (never expected).</summary>
    public int Disordered => _subscribers.Count(s => s.SawDisorder);

    /// <summary>Starts reading <paramref name="subscribers"/> (connected, now owned by the run) and publishing at <paramref name="rate"/>.</summary>
    public static StreamRun Start(Uri hub, HubLoadOptions options, List<LeanSubscriber> subscribers, int rate, CancellationToken cancellationToken) =>
        new(hub, options.Key, subscribers, rate, options.EntryBytes, cancellationToken);

    /// <summary>Counts over <paramref name="duration"/>: entries delivered to all subscribers and entries acknowledged.</summary>
    public async Task<(long Delivered, long Ingested, TimeSpan Elapsed)> MeasureAsync(TimeSpan duration, Action<long, double>? tick, CancellationToken cancellationToken)
    {
        var delivered0 = _subscribers.Sum(s => s.Entries);
        var acked0 = Interlocked.Read(ref _acked.Value);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp((duration - watch.Elapsed).TotalMilliseconds, 1, 1_000)), cancellationToken).ConfigureAwait(false);
            var delivered = _subscribers.Sum(s => s.Entries) - delivered0;
            tick?.Invoke(delivered, delivered / watch.Elapsed.TotalSeconds);
        }

        return (_subscribers.Sum(s => s.Entries) - delivered0, Interlocked.Read(ref _acked.Value) - acked0, watch.Elapsed);
    }

    /// <summary>The hub's count of subscriber queue overflows (<c>GET /v1/stats</c>).</summary>
    public async Task<long> OverflowsAsync(CancellationToken cancellationToken)
    {
        using var http = LoadTraffic.Http(_hub, _key);
        using var stats = await http.GetFromJsonAsync<JsonDocument>(new Uri("v1/stats", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return stats!.RootElement.GetProperty("overflows").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _publisher.ConfigureAwait(false);
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
}
