using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Lifeline.Hub.Core;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Monitoring;

/// <summary>
/// The hub's counters, exposed as <see cref="System.Diagnostics.Metrics"/> instruments on the meter
/// <c>Lifeline.Hub</c> and in <c>GET /v1/stats</c> (docs/hub.md, "Monitoring"). Thread-safe.
/// </summary>
internal sealed class HubMetrics : IDisposable
{
    /// <summary>The most client ids whose reconnects are counted one by one; later ones are counted under "(other)".</summary>
    private const int MaxClientIds = 10_000;

    private readonly Meter _meter;
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _overflows;
    private readonly Counter<long> _gapEntries;
    private readonly Counter<long> _abnormal;
    private readonly Counter<long> _badInput;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _throttled;
    private LogHub? _hub;
    private long _ingestedTotal;
    private long _deliveredTotal;
    private long _overflowTotal;
    private long _gapEntriesTotal;
    private long _slowClosedTotal;
    private long _abnormalTotal;
    private long _badInputTotal;
    private int _publishers;

    public HubMetrics(IMeterFactory meterFactory, IOptions<HubOptions> options)
    {
        var time = options.Value.TimeProvider;
        IngestRate = new RateMeter(time);
        DeliveryRate = new RateMeter(time);
        _meter = meterFactory.Create("Lifeline.Hub");
        _ingested = _meter.CreateCounter<long>("lifeline.hub.entries.ingested", "{entry}", "Entries stored");
        _delivered = _meter.CreateCounter<long>("lifeline.hub.entries.delivered", "{entry}", "Entries sent to subscribers");
        _overflows = _meter.CreateCounter<long>("lifeline.hub.subscriber.overflows", "{event}", "Subscribers switched to catch-up because their queue filled");
        _gapEntries = _meter.CreateCounter<long>("lifeline.hub.gap.entries", "{entry}", "Entries announced lost in gap messages");
        _abnormal = _meter.CreateCounter<long>("lifeline.hub.disconnects.abnormal", "{connection}", "Connections that ended without a close frame");
        _badInput = _meter.CreateCounter<long>("lifeline.hub.bad_input", "{event}", "Rejected input, by kind");
        _reconnects = _meter.CreateCounter<long>("lifeline.hub.reconnects", "{connection}", "Connections of a clientId seen before");
        _throttled = _meter.CreateCounter<long>("lifeline.hub.ingest.throttled", "{wait}", "Times a publisher over MaxMessagesPerSecond was slowed down (its socket not read until the rate allowed)");
        _meter.CreateObservableGauge("lifeline.hub.subscribers", () => _hub?.Subscribers.Count() ?? 0, "{connection}", "Open subscriber streams");
        _meter.CreateObservableGauge("lifeline.hub.publishers", () => Volatile.Read(ref _publishers), "{connection}", "Open ingest sockets");
        _meter.CreateObservableGauge("lifeline.hub.subscriber.lag", ObserveLag, "{entry}", "Committed ids a subscriber has not examined yet, per subscriber");
    }

    public RateMeter IngestRate { get; }

    public RateMeter DeliveryRate { get; }

    public ConcurrentDictionary<string, long> ConnectsByClient { get; } = new(StringComparer.Ordinal);

    public long IngestedTotal => Interlocked.Read(ref _ingestedTotal);

    public long DeliveredTotal => Interlocked.Read(ref _deliveredTotal);

    public long OverflowTotal => Interlocked.Read(ref _overflowTotal);

    public long GapEntriesTotal => Interlocked.Read(ref _gapEntriesTotal);

    public long SlowConsumerClosedTotal => Interlocked.Read(ref _slowClosedTotal);

    public long AbnormalTotal => Interlocked.Read(ref _abnormalTotal);

    public long BadInputTotal => Interlocked.Read(ref _badInputTotal);

    public int Publishers => Volatile.Read(ref _publishers);

    public void Attach(LogHub hub) => _hub = hub;

    public void Detach() => _hub = null;

    public void Ingested(int count)
    {
        Interlocked.Add(ref _ingestedTotal, count);
        _ingested.Add(count);
        IngestRate.Add(count);
    }

    public void Delivered(int count)
    {
        Interlocked.Add(ref _deliveredTotal, count);
        _delivered.Add(count);
        DeliveryRate.Add(count);
    }

    public void Overflowed()
    {
        Interlocked.Increment(ref _overflowTotal);
        _overflows.Add(1);
    }

    public void Gap(string reason, long entries)
    {
        Interlocked.Add(ref _gapEntriesTotal, entries);
        _gapEntries.Add(entries, new KeyValuePair<string, object?>("reason", reason));
    }

    public void SlowConsumerClosed() => Interlocked.Increment(ref _slowClosedTotal);

    public void AbnormalDisconnect()
    {
        Interlocked.Increment(ref _abnormalTotal);
        _abnormal.Add(1);
    }

    /// <summary>A publisher over the message rate is being slowed down (counted once its wait has started).</summary>
    public void Throttled() => _throttled.Add(1);

    public void BadInput(string kind)
    {
        Interlocked.Increment(ref _badInputTotal);
        _badInput.Add(1, new KeyValuePair<string, object?>("kind", kind));
    }

    public void PublisherOpened() => Interlocked.Increment(ref _publishers);

    public void PublisherClosed() => Interlocked.Decrement(ref _publishers);

    /// <summary>Counts a connection of <paramref name="clientId"/>; every one after the first is a reconnect.</summary>
    public void Connected(string? clientId)
    {
        if (clientId is null)
        {
            return;
        }

        var key = ConnectsByClient.Count < MaxClientIds || ConnectsByClient.ContainsKey(clientId) ? clientId : "(other)";
        if (ConnectsByClient.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
        {
            _reconnects.Add(1);
        }
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        if (_hub is not { } hub)
        {
            yield break;
        }

        foreach (var s in hub.Subscribers)
        {
            yield return new Measurement<long>(s.Lag, new KeyValuePair<string, object?>("subscriber", s.Id), new KeyValuePair<string, object?>("client_id", s.ClientId));
        }
    }
}
