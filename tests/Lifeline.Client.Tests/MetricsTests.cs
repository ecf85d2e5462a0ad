using System.Diagnostics.Metrics;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lifeline.Client.Tests;

public class MetricsTests
{
    [Fact]
    public async Task TheMeterAndTheSnapshot_ReportTheSameFigures()
    {
        await using var server = await TestServer.StartAsync();
        var options = TestOptions.For(server.GetUri());
        options.Name = "metrics-" + Guid.NewGuid().ToString("N");
        await using var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        await using var messages = client.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(SendResult.Sent, await client.SendAsync("12345", CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30)));
            Assert.True(await messages.MoveNextAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30))); // the echo
        }

        // A MeterListener, not MetricCollector: without a meter factory every client has its own meter named
        // Lifeline.Client, and a MetricCollector listens to the first such meter's instrument only (another test's
        // client, in a parallel run); this listener takes every Lifeline.Client meter and keeps this client's series.
        var measured = new Dictionary<string, double>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Lifeline.Client")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
            {
                var ours = false;
                string? reason = null;
                foreach (var tag in tags)
                {
                    ours |= tag.Key == "lifeline.client.name" && (string?)tag.Value == options.Name;
                    reason = tag.Key == "reason" ? (string?)tag.Value : reason;
                }

                if (ours)
                {
                    measured[reason is null ? instrument.Name : $"{instrument.Name}:{reason}"] = value;
                }
            }

            listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
            listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
            listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
            listener.Start();
            listener.RecordObservableInstruments();
        }

        var snapshot = client.GetSnapshot();
        Assert.Equal(3, snapshot.MessagesSent);
        Assert.Equal(15, snapshot.BytesSent);
        Assert.Equal(3, snapshot.MessagesReceived);
        Assert.Equal(15, snapshot.BytesReceived);
        Assert.Equal(1, snapshot.ConnectionAttempts);
        Assert.NotNull(snapshot.LastRoundTripTime);
        Assert.Equal(3, measured["lifeline.client.messages_sent"]);
        Assert.Equal(15, measured["lifeline.client.bytes_sent"]);
        Assert.Equal(3, measured["lifeline.client.messages_received"]);
        Assert.Equal(15, measured["lifeline.client.bytes_received"]);
        Assert.Equal(1, measured["lifeline.client.connection_attempts"]);
        Assert.Equal(1, measured["lifeline.client.connections"]);
        Assert.Equal(0, measured["lifeline.client.reconnects"]);
        Assert.Equal(0, measured["lifeline.client.errors"]);
        Assert.Equal((int)ClientState.Connected, measured["lifeline.client.state"]);
        Assert.Equal(0, measured["lifeline.client.buffered_sends"]);
        Assert.Equal(0, measured["lifeline.client.send_drops:overflow"]);
        Assert.Equal(0, measured["lifeline.client.send_drops:expired"]);
        Assert.Equal(0, measured["lifeline.client.send_drops:failed"]);
        Assert.Equal(snapshot.LastRoundTripTime!.Value.TotalSeconds, measured["lifeline.client.round_trip_time"]);
    }

    /// <summary>Issue 15 point 5: with a host's IMeterFactory, clients report on the factory's one meter, a series each, until stopped.</summary>
    [Fact]
    public async Task MeterFactory_ClientsShareItsMeter_OneSeriesEach_UntilStopped()
    {
        using var factory = new TestMeterFactory();
        var first = new LifelineClient(new LifelineClientOptions { Uri = new Uri("ws://127.0.0.1:1/"), Name = "first", MeterFactory = factory });
        await using var second = new LifelineClient(new LifelineClientOptions { Uri = new Uri("ws://127.0.0.1:1/"), Name = "second", MeterFactory = factory });

        Assert.Equal(["first", "second"], SeriesOf(factory));
        await first.DisposeAsync();
        Assert.Equal(["second"], SeriesOf(factory));
        Assert.Equal("Lifeline.Client", Assert.Single(factory.Meters).Name);
    }

    /// <summary>The client names that report <c>lifeline.client.state</c> on meters of <paramref name="factory"/>.</summary>
    private static string[] SeriesOf(TestMeterFactory factory)
    {
        using var state = new MetricCollector<int>(factory, "Lifeline.Client", "lifeline.client.state");
        state.RecordObservableInstruments();
        return [.. state.GetMeasurementSnapshot().Select(m => (string)m.Tags["lifeline.client.name"]!).Order(StringComparer.Ordinal)];
    }

    /// <summary>A host's meter factory as Microsoft.Extensions.Diagnostics implements it: one meter per name, owned and disposed by the factory.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        public List<Meter> Meters { get; } = [];

        public Meter Create(MeterOptions options)
        {
            lock (Meters)
            {
                var meter = Meters.Find(m => m.Name == options.Name) ?? new Meter(options.Name, options.Version, options.Tags, this);
                if (!Meters.Contains(meter))
                {
                    Meters.Add(meter);
                }

                return meter;
            }
        }

        public void Dispose()
        {
            foreach (var meter in Meters)
            {
                meter.Dispose();
            }
        }
    }
}
