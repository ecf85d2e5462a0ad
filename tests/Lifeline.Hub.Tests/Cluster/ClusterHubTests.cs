using System.Net;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// Issue 13 with real hubs (Kestrel, in this process) as the nodes of one cluster on a real 3-server JetStream cluster:
/// the protocol works against any node, with one global log.
/// </summary>
public sealed class ClusterHubTests
{
    private static readonly TimeSpan Timeout = ClusterHubs.Timeout;

    [Fact]
    public async Task PublishersAndSubscribersOnEveryNode_SeeOneIdenticalLog_EveryAckedEntryExactlyOnce()
    {
        const int Publishes = 20;
        const int PerPublish = 10;
        await using var cluster = await ClusterHubs.StartAsync(3);
        var subscribers = new List<TestSubscriber>();
        foreach (var hub in cluster.Hubs)
        {
            subscribers.Add(await hub.SubscribeAsync("after=0"));
        }

        try
        {
            // A WebSocket publisher on every node, all publishing at once.
            var acks = await Task.WhenAll(cluster.Hubs.Select((hub, n) => PublishAllAsync(hub, $"p{n}", Publishes, PerPublish))).OrTimeout(Timeout);
            var total = cluster.Hubs.Count * Publishes * PerPublish;

            // Contiguous ids per publish, and the publishes' ranges tile 1..total exactly.
            var ranges = acks.SelectMany(a => a).OrderBy(a => a.FirstId).ToList();
            Assert.All(ranges, a => Assert.Equal(a.FirstId + PerPublish - 1, a.LastId));
            Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), ranges.SelectMany(a => Enumerable.Range(0, PerPublish).Select(j => a.FirstId + j)));

            await Task.WhenAll(subscribers.Select(s => s.ReceiveEntriesAsync(total))).OrTimeout(Timeout);
            var first = subscribers[0].Entries.Select(e => (e.Id, e.Message)).ToList();
            Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), first.Select(e => e.Id));
            foreach (var s in subscribers.Skip(1))
            {
                Assert.Equal(first, s.Entries.Select(e => (e.Id, e.Message)));
            }

            // Every acked entry is where its ack said: publisher n's publish r holds "pn-r-j" at FirstId + j.
            var byId = first.ToDictionary(e => e.Id, e => e.Message);
            for (var n = 0; n < acks.Length; n++)
            {
                for (var r = 0; r < Publishes; r++)
                {
                    Assert.Equal($"p{n}-{r}-0", byId[acks[n][r].FirstId]);
                    Assert.Equal($"p{n}-{r}-{PerPublish - 1}", byId[acks[n][r].LastId]);
                }
            }

            // A query on any node reads the same log from its mirror.
            foreach (var hub in cluster.Hubs)
            {
                Assert.Equal(first, (await ClusterHubs.QueryAllAsync(hub)).Select(e => (e.Id, e.Message)));
            }
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
    public async Task TheSameIdempotencyKeyOnTwoNodes_IsStoredOnce_AndReplayedWithTheSameIds()
    {
        await using var cluster = await ClusterHubs.StartAsync(2);
        using var first = await ClusterHubs.PostAsync(cluster.Hubs[0], "order-17", ["a", "b", "c"]).OrTimeout(Timeout);
        using var retry = await ClusterHubs.PostAsync(cluster.Hubs[1], "order-17", ["a", "b", "c"]).OrTimeout(Timeout);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(await ClusterHubs.BodyAsync(first), await ClusterHubs.BodyAsync(retry));
        await cluster.CatchUpAsync();
        foreach (var hub in cluster.Hubs)
        {
            Assert.Equal(["a", "b", "c"], (await ClusterHubs.QueryAllAsync(hub)).Select(e => e.Message));
        }
    }

    /// <summary>Publishes <paramref name="count"/> publishes of <paramref name="size"/> entries over one WebSocket, then reads every answer (all must be acks).</summary>
    private static async Task<List<AckMessage>> PublishAllAsync(HubHost hub, string name, int count, int size)
    {
        await using var publisher = await TestPublisher.ConnectAsync(hub, "clientId=" + name);
        for (var r = 0; r < count; r++)
        {
            await publisher.PublishAsync($"{r}", [.. Enumerable.Range(0, size).Select(j => new LogEntry { Message = $"{name}-{r}-{j}", Source = name })]);
        }

        var acks = new List<AckMessage>();
        while (acks.Count < count)
        {
            var answer = await publisher.ReceiveAsync();
            acks.Add(Assert.IsType<AckMessage>(answer));
        }

        // Answers come in publish order.
        Assert.Equal(Enumerable.Range(0, count).Select(r => $"{r}"), acks.Select(a => a.Ref));
        return acks;
    }
}
