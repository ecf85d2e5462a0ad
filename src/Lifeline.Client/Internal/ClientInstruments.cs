using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Lifeline.Client.Internal;

/// <summary>
/// The <c>Lifeline.Client</c> meter's instruments over a set of clients: every instrument is observable and reports one
/// series per client (tag <c>lifeline.client.name</c>), read from its <see cref="ClientMetrics"/> when a listener
/// collects. A client without a meter factory has a set of its own on its own meter; the clients of a host that gives
/// one (<see cref="LifelineClientOptions.MeterFactory"/>) share one set on the factory's meter, which the factory owns
/// and caches by name, so instruments are created once per factory however many clients come and go. Thread-safe.
/// </summary>
internal sealed class ClientInstruments
{
    private static readonly ConditionalWeakTable<IMeterFactory, ClientInstruments> s_byFactory = [];

    private readonly ConcurrentDictionary<ClientMetrics, byte> _clients = new();

    private ClientInstruments(Meter meter)
    {
        meter.CreateObservableCounter("lifeline.client.connection_attempts", () => Each(s => s.ConnectionAttempts), "{attempt}", "Connect attempts, successful or not.");
        meter.CreateObservableCounter("lifeline.client.connections", () => Each(s => s.Connections), "{connection}", "Successful connections.");
        meter.CreateObservableCounter("lifeline.client.reconnects", () => Each(s => s.Reconnects), "{connection}", "Successful connections after the first.");
        meter.CreateObservableCounter("lifeline.client.errors", () => Each(s => s.Errors), "{error}", "Errors reported through the Error event.");
        meter.CreateObservableCounter("lifeline.client.messages_received", () => Each(s => s.MessagesReceived), "{message}", "Messages received.");
        meter.CreateObservableCounter("lifeline.client.bytes_received", () => Each(s => s.BytesReceived), "By", "Message bytes received.");
        meter.CreateObservableCounter("lifeline.client.messages_sent", () => Each(s => s.MessagesSent), "{message}", "Messages written to the socket.");
        meter.CreateObservableCounter("lifeline.client.bytes_sent", () => Each(s => s.BytesSent), "By", "Message bytes written to the socket.");
        meter.CreateObservableCounter("lifeline.client.send_drops", SendDrops, "{message}", "Messages not sent, by reason.");
        meter.CreateObservableGauge("lifeline.client.state", () => Each(s => (int)s.State), null, "ClientState as a number (0 Stopped, 1 Connecting, 2 Connected, 3 Reconnecting, 4 Stopping, 5 Faulted).");
        meter.CreateObservableGauge("lifeline.client.buffered_sends", () => Each(s => s.BufferedSends), "{message}", "Messages waiting in the send buffer.");
        meter.CreateObservableGauge("lifeline.client.round_trip_time", RoundTrips, "s", "Handshake round-trip time of the last connect.");
    }

    /// <summary>A set of instruments on <paramref name="meter"/>, which belongs to one client.</summary>
    public static ClientInstruments Create(Meter meter) => new(meter);

    /// <summary>The set every client of <paramref name="factory"/> shares, created on first use.</summary>
    public static ClientInstruments Shared(IMeterFactory factory) =>
        s_byFactory.GetValue(factory, static f => new ClientInstruments(f.Create(new MeterOptions(ClientMetrics.MeterName) { Version = ClientMetrics.Version })));

    public void Add(ClientMetrics client) => _clients.TryAdd(client, 0);

    public void Remove(ClientMetrics client) => _clients.TryRemove(client, out _);

    private IEnumerable<Measurement<T>> Each<T>(Func<ClientMetricsSnapshot, T> read)
        where T : struct
    {
        foreach (var client in _clients.Keys)
        {
            yield return new Measurement<T>(read(client.Snapshot()), client.Tag);
        }
    }

    private IEnumerable<Measurement<long>> SendDrops()
    {
        foreach (var client in _clients.Keys)
        {
            var snapshot = client.Snapshot();
            yield return new Measurement<long>(snapshot.SendsDropped, client.Tag, new("reason", "overflow"));
            yield return new Measurement<long>(snapshot.SendsExpired, client.Tag, new("reason", "expired"));
            yield return new Measurement<long>(snapshot.SendsFailed, client.Tag, new("reason", "failed"));
        }
    }

    private IEnumerable<Measurement<double>> RoundTrips()
    {
        foreach (var client in _clients.Keys)
        {
            if (client.Snapshot().LastRoundTripTime is { } rtt)
            {
                yield return new Measurement<double>(rtt.TotalSeconds, client.Tag);
            }
        }
    }
}
