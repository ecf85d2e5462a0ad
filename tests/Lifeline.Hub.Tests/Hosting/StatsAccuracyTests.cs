using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lifeline.Hub.Tests.Hosting;

/// <summary>
/// Issue 11 point 6: <c>/v1/stats</c> and the lag metric tell the truth. Before the fix a paused subscriber that had
/// overflowed showed <c>catchingUp: false</c> (its send loop, stuck on a send, had not seen the overflow yet); a
/// filtered subscriber showed every non-matching entry as lag until a matching one arrived; and the lag gauge had one
/// series per subscriber id.
/// </summary>
public class StatsAccuracyTests
{
    private static readonly string Padding = new('p', 560);

    [Fact]
    public async Task FilteredSubscriber_AfterManyEntriesItsFilterExcludes_HasNoLag()
    {
        await using var hub = await HubHost.StartAsync();
        await using var deploys = await hub.SubscribeAsync("source=deploy&clientId=deploys");
        await deploys.ReceiveUntilAsync<LiveMessage>();
        for (var first = 1; first <= 20_000; first += 1_000)
        {
            await hub.PostManyAsync(1_000, first, source: "api");
        }

        var lag = SubscriberLag(await hub.StatsAsync(), "deploys");
        Assert.Equal(0, lag.GetProperty("lag").GetInt64());
        Assert.False(lag.GetProperty("catchingUp").GetBoolean());
        Assert.Equal(0, (await hub.StatsAsync()).GetProperty("maxLag").GetInt64());

        await hub.PostManyAsync(1, 20_001, source: "deploy");
        await deploys.ReceiveEntriesAsync(1);
        Assert.Equal(20_001, deploys.Entries[0].Id);
        Assert.Equal(0, SubscriberLag(await hub.StatsAsync(), "deploys").GetProperty("lag").GetInt64());
    }

    [Fact]
    public async Task PausedSubscriber_OnceItsQueueOverflowed_IsReportedCatchingUp_WithItsLag()
    {
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.MaxFrameBytes = 16 << 10;
            o.SubscriberQueueBytes = 64 << 10;
        });
        await using var paused = await SubscribeWithSmallReceiveBufferAsync(hub, "clientId=paused");
        await paused.ReceiveUntilAsync<LiveMessage>();

        // It reads nothing from here: its small socket buffer fills at once, a live send waits for good, the queue
        // fills and overflows. The send loop, still waiting on that send, has not seen the overflow.
        // Batches of about 30 KB, under the queue's bound, so that only a waiting send lets the queue overflow.
        var published = 0;
        while (hub.Core().Metrics.OverflowTotal == 0)
        {
            Assert.True(published < 100_000, "the paused subscriber's queue never overflowed");
            await hub.PostAsync([.. Enumerable.Range(published + 1, 50).Select(i => new LogEntry { Message = $"m{i} {Padding}" })]);
            published += 50;
        }

        var lag = SubscriberLag(await hub.StatsAsync(), "paused");
        Assert.True(lag.GetProperty("catchingUp").GetBoolean(), lag.ToString());
        Assert.Equal(0, lag.GetProperty("queuedBytes").GetInt64());   // the live queue was dropped: catch-up reads the store
        Assert.True(lag.GetProperty("lag").GetInt64() > 0, lag.ToString());
        Assert.True(lag.TryGetProperty("sendWaitMs", out _), lag.ToString());

        // Once it reads again, it catches up and is live with no lag.
        await paused.ReceiveEntriesAsync(published);
        Assert.Equal(Enumerable.Range(1, published).Select(i => (long)i), paused.Entries.Select(e => e.Id));
        await hub.PostManyAsync(1, published + 1);
        await paused.ReceiveEntriesAsync(published + 1);
        var after = SubscriberLag(await hub.StatsAsync(), "paused");
        Assert.False(after.GetProperty("catchingUp").GetBoolean(), after.ToString());
        Assert.Equal(0, after.GetProperty("lag").GetInt64());
    }

    [Fact]
    public async Task LagGauge_HasBoundedTags_OneSeriesPerState_WhateverTheNumberOfSubscribers()
    {
        await using var hub = await HubHost.StartAsync();
        var subs = new List<TestSubscriber>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var sub = await hub.SubscribeAsync($"clientId=c{i}");
                subs.Add(sub);
                await sub.ReceiveUntilAsync<LiveMessage>();
            }

            await hub.PostManyAsync(3);
            foreach (var sub in subs)
            {
                await sub.ReceiveEntriesAsync(3);
            }

            var factory = hub.Services.GetRequiredService<IMeterFactory>();
            using var lag = new MetricCollector<long>(factory, "Lifeline.Hub", "lifeline.hub.subscriber.lag");
            lag.RecordObservableInstruments();
            var series = lag.GetMeasurementSnapshot();

            Assert.Equal(["state=catching_up", "state=live"], series.Select(m => string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}"))).Order());
            Assert.All(series, m => Assert.Equal(0, m.Value));
        }
        finally
        {
            foreach (var sub in subs)
            {
                await sub.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A subscriber whose socket has a 4 KiB receive buffer (fixed, so the kernel does not grow it): a client that stops
    /// reading stops taking in bytes almost at once, rather than after megabytes of buffer growth.
    /// </summary>
    private static async Task<TestSubscriber> SubscribeWithSmallReceiveBufferAsync(HubHost hub, string query)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        var client = new ClientWebSocket();
        await client.ConnectAsync(hub.WsUri("v1/stream?" + query), invoker, CancellationToken.None).OrTimeout();
        return new TestSubscriber(client);
    }

    private static JsonElement SubscriberLag(JsonElement stats, string clientId) =>
        stats.GetProperty("subscriberLag").EnumerateArray().Single(s => s.TryGetProperty("clientId", out var c) && c.GetString() == clientId);
}
