using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// Issue 13, failures of the engine under hubs that are publishing and streaming: a killed stream leader, every server
/// down, and the stream's retention. Real nats-server processes killed with SIGKILL; real Kestrel hubs.
/// </summary>
public sealed class ClusterFailureTests
{
    private static readonly TimeSpan Timeout = ClusterHubs.Timeout;

    [Fact]
    public async Task KillingTheStreamLeaderMidPublish_LosesNothingAcked_AndWritesResumeWithin10Seconds()
    {
        await using var cluster = await ClusterHubs.StartAsync(2);
        var leader = ClusterHubs.Log(cluster.Hubs[0]).Engine.StreamLeader;
        Assert.NotNull(leader);
        var leaderIndex = cluster.Engine.IndexOf(leader);
        Assert.True(leaderIndex >= 0, leader);

        var acked = new ConcurrentDictionary<string, PublishResult>();
        var killed = 0;
        var twentyAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var backAfterKill = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var twentyAfterKill = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var afterKill = 0;
        using var stop = new CancellationTokenSource();

        // A publisher per node, each retrying a publish with the same key until it is acked (as the typed client does).
        async Task PublishAsync(HubHost hub, string name)
        {
            for (var r = 0; !stop.IsCancellationRequested; r++)
            {
                var key = $"{name}-{r}";
                while (true)
                {
                    var startedAfterKill = Volatile.Read(ref killed) == 1;
                    using var response = await ClusterHubs.PostAsync(hub, key, Enumerable.Range(0, 5).Select(j => $"{key}-{j}")).OrTimeout(Timeout);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acked[key] = HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync());
                        if (acked.Count >= 20)
                        {
                            twentyAcked.TrySetResult();
                        }

                        if (startedAfterKill)
                        {
                            backAfterKill.TrySetResult();
                            if (Interlocked.Increment(ref afterKill) >= 20)
                            {
                                twentyAfterKill.TrySetResult();
                            }
                        }

                        break;
                    }

                    // Never an ack for what the engine did not take: 503 unavailable, retried with the same key.
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    Assert.Contains(ErrorCodes.Unavailable, await ClusterHubs.BodyAsync(response), StringComparison.Ordinal);
                }
            }
        }

        var publishers = cluster.Hubs.Select((hub, n) => PublishAsync(hub, $"p{n}")).ToList();
        await twentyAcked.Task.OrTimeout(Timeout);
        await cluster.Engine.KillServerAsync(leaderIndex);
        Volatile.Write(ref killed, 1);

        // The remaining two servers elect a new leader: a publish started after the kill is acked within 10 s.
        await backAfterKill.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await twentyAfterKill.Task.OrTimeout(Timeout);
        await stop.CancelAsync();
        await Task.WhenAll(publishers).OrTimeout(Timeout);

        await cluster.CatchUpAsync();
        foreach (var hub in cluster.Hubs)
        {
            var log = (await ClusterHubs.QueryAllAsync(hub)).ToDictionary(e => e.Id, e => e.Message);
            Assert.Equal(Enumerable.Range(1, log.Count).Select(i => (long)i), log.Keys.Order());

            // Every acked publish is where its ack said, and no entry is stored twice (retries were replayed).
            foreach (var (key, result) in acked)
            {
                for (var j = 0; j < 5; j++)
                {
                    Assert.Equal($"{key}-{j}", log[result.FirstId + j]);
                }
            }

            Assert.Equal(log.Count, log.Values.Distinct().Count());
        }
    }

    [Fact]
    public async Task AllEngineServersDown_NoAckWhileDown_StreamsStayUp_AndNothingIsLostAfter()
    {
        await using var cluster = await ClusterHubs.StartAsync(2, o =>
        {
            o.ClusterAppendTimeout = TimeSpan.FromSeconds(2);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        });
        var subscribers = new List<TestSubscriber>();
        foreach (var hub in cluster.Hubs)
        {
            subscribers.Add(await hub.SubscribeAsync("after=0"));
        }

        await using var publisher = await TestPublisher.ConnectAsync(cluster.Hubs[1], "clientId=ws");
        try
        {
            using (var before = await ClusterHubs.PostAsync(cluster.Hubs[0], "before", ["b0", "b1"]).OrTimeout(Timeout))
            {
                Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            }

            await Task.WhenAll(subscribers.Select(s => s.ReceiveEntriesAsync(2))).OrTimeout(Timeout);
            for (var i = 0; i < cluster.Engine.Count; i++)
            {
                await cluster.Engine.KillServerAsync(i);
            }

            // No ack while the engine is down: HTTP 503 unavailable, and an error (not an ack) on the WebSocket.
            using (var down = await ClusterHubs.PostAsync(cluster.Hubs[0], "during", ["d0", "d1", "d2"]).OrTimeout(Timeout))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
                Assert.Contains(ErrorCodes.Unavailable, await ClusterHubs.BodyAsync(down), StringComparison.Ordinal);
            }

            await publisher.PublishAsync("w1", new LogEntry { Message = "w1", Source = "ws" });
            var error = Assert.IsType<ErrorMessage>(await publisher.ReceiveAsync().OrTimeout(Timeout));
            Assert.Equal(("w1", ErrorCodes.Unavailable), (error.Ref, error.Error));

            // Open streams stay up: they get heartbeats from their node meanwhile.
            foreach (var s in subscribers)
            {
                await s.ReceiveUntilAsync<HeartbeatMessage>().OrTimeout(Timeout);
                Assert.Equal(WebSocketState.Open, s.Socket.State);
            }

            await cluster.Engine.StartServerAsync([.. Enumerable.Range(0, cluster.Engine.Count)]);

            // The clients retry the same key / ref until acked: each is stored once.
            var during = await RetryUntilAckedAsync(cluster.Hubs[0], "during", ["d0", "d1", "d2"]);
            AckMessage? ack = null;
            while (ack is null)
            {
                await publisher.PublishAsync("w1", new LogEntry { Message = "w1", Source = "ws" });
                var answer = await publisher.ReceiveAsync().OrTimeout(Timeout);
                ack = answer as AckMessage;
                Assert.True(ack is not null || answer is ErrorMessage { Error: ErrorCodes.Unavailable }, $"{answer}");
            }

            await Task.WhenAll(subscribers.Select(s => s.ReceiveEntriesAsync(6))).OrTimeout(Timeout);
            var expected = new[] { "b0", "b1", "d0", "d1", "d2", "w1" }.Order().ToList();
            foreach (var s in subscribers)
            {
                Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), s.Entries.Select(e => e.Id));
                Assert.Equal(expected, s.Entries.Select(e => e.Message).Order());
                Assert.Equal(subscribers[0].Entries.Select(e => e.Message), s.Entries.Select(e => e.Message));
            }

            Assert.Equal(3, during.Count);
            Assert.Equal(1, ack.Count);
        }
        finally
        {
            foreach (var s in subscribers)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task StreamRetention_GivesTheSameExactGapOnEveryNode()
    {
        // The stream keeps about 8 KiB: most of the 30 publishes below are discarded by the engine.
        await using var cluster = await ClusterHubs.StartAsync(3, o => o.RetentionMaxBytes = 8 << 10);
        for (var r = 0; r < 30; r++)
        {
            var hub = cluster.Hubs[r % cluster.Hubs.Count];
            using var response = await ClusterHubs.PostAsync(hub, $"r{r}", Enumerable.Range(0, 10).Select(j => $"r{r}-{j}-" + new string('x', 40))).OrTimeout(Timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await cluster.CatchUpAsync();
        var gaps = new List<GapMessage>();
        var tails = new List<List<long>>();
        foreach (var hub in cluster.Hubs)
        {
            await using var subscriber = await hub.SubscribeAsync("after=0");
            gaps.Add(await subscriber.ReceiveUntilAsync<GapMessage>().OrTimeout(Timeout));
            await subscriber.ReceiveUntilAsync<LiveMessage>().OrTimeout(Timeout);
            tails.Add([.. subscriber.Entries.Select(e => e.Id)]);
        }

        Assert.Equal(1, gaps[0].FromId);
        Assert.True(gaps[0].ToId > 1, "the stream retained everything");
        Assert.Equal(GapReasons.Retention, gaps[0].Reason);
        Assert.All(gaps, g => Assert.Equal(gaps[0], g));
        Assert.Equal(Enumerable.Range((int)gaps[0].ToId + 1, 300 - (int)gaps[0].ToId).Select(i => (long)i), tails[0]);
        Assert.All(tails, t => Assert.Equal(tails[0], t));
    }

    private static async Task<PublishResult> RetryUntilAckedAsync(HubHost hub, string key, string[] messages)
    {
        while (true)
        {
            using var response = await ClusterHubs.PostAsync(hub, key, messages).OrTimeout(Timeout);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync());
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
    }
}
