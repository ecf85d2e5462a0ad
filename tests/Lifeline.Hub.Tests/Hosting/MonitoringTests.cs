using System.Diagnostics.Metrics;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lifeline.Hub.Tests.Hosting;

public class MonitoringTests
{
    [Fact]
    public async Task Stats_CountReconnectsPerClientId_AbnormalDisconnects_AndTraffic()
    {
        await using var hub = await HubHost.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await using var sub = await hub.SubscribeAsync("clientId=tail-7f3a");
            await sub.ReceiveUntilAsync<LiveMessage>();
        }

        await hub.WaitForConnectionsAsync(0);
        var aborted = await hub.SubscribeAsync("clientId=crashy");
        await aborted.ReceiveUntilAsync<LiveMessage>();
        aborted.Socket.Abort();
        await hub.WaitForConnectionsAsync(0);
        aborted.Socket.Dispose();

        await using var live = await hub.SubscribeAsync("clientId=live");
        await live.ReceiveUntilAsync<LiveMessage>();
        await hub.PostManyAsync(5);
        await live.ReceiveEntriesAsync(5);

        var stats = await hub.StatsAsync();
        Assert.Equal(2, stats.GetProperty("reconnects").GetProperty("tail-7f3a").GetInt64());
        Assert.False(stats.GetProperty("reconnects").TryGetProperty("live", out _));
        Assert.Equal(1, stats.GetProperty("abnormalDisconnects").GetInt64());
        Assert.Equal(1, stats.GetProperty("subscribers").GetInt32());
        Assert.Equal(5, stats.GetProperty("ingestedTotal").GetInt64());
        Assert.Equal(5, stats.GetProperty("deliveredTotal").GetInt64());
        Assert.Equal(5, stats.GetProperty("lastId").GetInt64());
        var lag = Assert.Single(stats.GetProperty("subscriberLag").EnumerateArray());
        Assert.Equal("live", lag.GetProperty("clientId").GetString());
        Assert.Equal(0, lag.GetProperty("lag").GetInt64());
        foreach (var field in new[] { "publishers", "ingestRate", "deliveryRate", "overflows", "gapEntries", "storedEntries", "storedBytes", "oldestId", "maxLag" })
        {
            Assert.True(stats.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task Metrics_AreReportedOnTheLifelineHubMeter()
    {
        await using var hub = await HubHost.StartAsync();
        var factory = hub.Services.GetRequiredService<IMeterFactory>();
        // Parallel tests run other hubs: count only this hub's meter (its scope is this host's factory).
        using var ingested = new MetricCollector<long>(factory, "Lifeline.Hub", "lifeline.hub.entries.ingested");

        await hub.PostManyAsync(7);
        Assert.Equal(7, ingested.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task Heartbeat_IsSentOnAQuietStream_EveryInterval()
    {
        var time = new ManualTimeProvider();
        await using var hub = await HubHost.StartAsync(o => o.TimeProvider = time);
        await using var sub = await hub.SubscribeAsync();
        await sub.ReceiveUntilAsync<LiveMessage>();
        await hub.PostManyAsync(2);
        await sub.ReceiveEntriesAsync(2);

        await time.WaitForTimersAsync(1).OrTimeout();
        time.Advance(TimeSpan.FromSeconds(30));
        var beat = await sub.ReceiveUntilAsync<HeartbeatMessage>();
        Assert.Equal(2, beat.LastId);
        Assert.Equal(time.GetUtcNow(), beat.Timestamp);
    }

    [Fact]
    public async Task DeadClient_ThatStopsAnsweringPings_IsEvicted_AsAnAbnormalDisconnect()
    {
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
            o.KeepAliveTimeout = TimeSpan.FromMilliseconds(500);
        });
        await using var proxy = await FaultProxy.StartAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, hub.BaseUri.Port));
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(proxy.GetUri("ws", "/v1/stream"), CancellationToken.None).OrTimeout();
        await using var sub = new TestSubscriber(socket);
        await sub.ReceiveUntilAsync<LiveMessage>();
        await hub.WaitForConnectionsAsync(1);

        // The client's pongs never reach the hub.
        proxy.SetHalfOpen(Direction.Upstream);
        await hub.WaitForConnectionsAsync(0);
        Assert.Equal(1, (await hub.StatsAsync()).GetProperty("abnormalDisconnects").GetInt64());
        await proxy.CutAllAsync(CutMode.Reset).OrTimeout();
    }
}
