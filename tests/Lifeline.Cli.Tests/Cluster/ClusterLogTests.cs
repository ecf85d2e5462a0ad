using System.Net;
using System.Net.WebSockets;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// Issue 13, must-show points 1 to 3, with real processes: 3 nats-server and 3 <c>lifeline serve --cluster</c> nodes
/// (<see cref="LocalCluster"/>), all stopped by pid.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ClusterLogTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Point 1: publishers on every node, a subscriber on every node.</summary>
    [Fact]
    public async Task PublishersAndSubscribersOnEveryNode_IdenticalLogs_ContiguousIdsPerPublish_EachAckedEntryOnce()
    {
        const int Requests = 30;
        const int PerRequest = 20;
        await using var cluster = await LocalCluster.StartAsync();
        var subscribers = new List<ClusterSubscriber>();
        try
        {
            foreach (var node in cluster.Nodes)
            {
                subscribers.Add(await ClusterSubscriber.ConnectAsync($"sub-{node.Name}", node));
            }

            // Three publishers at once, each on its own node: their appends race in the engine.
            var acks = new Dictionary<string, PublishResult>();
            var publishing = cluster.Nodes.Select(async node =>
            {
                var mine = new List<(string, PublishResult)>();
                for (var r = 0; r < Requests; r++)
                {
                    var key = $"{node.Name}/{r}";
                    var answer = await ClusterPublisher.PostAsync(node, key, PerRequest);
                    Assert.True(answer.Status == HttpStatusCode.OK, $"{key}: {answer.Status} {answer.Body}");
                    mine.Add((key, answer.Ack!));
                }

                return mine;
            }).ToList();
            foreach (var (key, ack) in (await Task.WhenAll(publishing).OrTimeout(Timeout)).SelectMany(m => m))
            {
                acks[key] = ack;
            }

            var total = 3 * Requests * PerRequest;
            Assert.Equal(total, acks.Values.Max(a => a.LastId));
            foreach (var subscriber in subscribers)
            {
                await subscriber.WaitForAsync(total);
            }

            var reference = subscribers[0].Entries;
            Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), reference.Select(e => e.Id));
            ClusterPublisher.AssertEachAckedEntryExactlyOnce(acks, reference);
            foreach (var subscriber in subscribers)
            {
                Assert.Empty(subscriber.OrderViolations);
                Assert.Empty(subscriber.Gaps);
                Assert.Equal(reference.Select(e => (e.Id, e.Message)), subscriber.Entries.Select(e => (e.Id, e.Message)));
            }
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }
        }
    }

    /// <summary>Point 2: a subscriber resumes on another node after a cut, and after a 1001 from a draining node.</summary>
    [Fact]
    public async Task SubscriberResumesOnAnotherNode_AfterACut_AndAfter1001FromADrainingNode_NoLossNoDuplicate()
    {
        const int Requests = 200;
        const int PerRequest = 10;
        await using var cluster = await LocalCluster.StartAsync();
        var (hub1, hub2, hub3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        await using var subscriber = await ClusterSubscriber.ConnectAsync("mover", hub1);

        // Publishing goes on through hub3 the whole time (the node that stays up).
        var acks = new Dictionary<string, PublishResult>();
        var publishing = Task.Run(async () =>
        {
            for (var r = 0; r < Requests; r++)
            {
                var key = $"p/{r}";
                var answer = await ClusterPublisher.PostAsync(hub3, key, PerRequest);
                Assert.True(answer.Status == HttpStatusCode.OK, $"{key}: {answer.Status} {answer.Body}");
                lock (acks)
                {
                    acks[key] = answer.Ack!;
                }
            }
        });

        // A cut: the connection to hub1 breaks without a close; resume on hub2 after the last id held.
        await subscriber.WaitForAsync(300);
        await subscriber.CutAndMoveToAsync(hub2);

        // A drain: hub2 stops gracefully and closes with 1001 and resumeAfter; resume on hub3 there.
        await subscriber.WaitForAsync(1000);
        var draining = hub2.TerminateAsync();
        var (status, description) = await subscriber.Closed.OrTimeout(Timeout);
        await draining;
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.True(CloseReason.TryParse(description, out var reason), description);
        Assert.Equal(subscriber.LastId, reason.ResumeAfter);
        await subscriber.MoveToAsync(hub3, reason.ResumeAfter);

        await publishing.OrTimeout(Timeout);
        var total = Requests * PerRequest;
        await subscriber.WaitForAsync(total);
        var entries = subscriber.Entries;
        Assert.Empty(subscriber.OrderViolations);
        Assert.Empty(subscriber.Gaps);
        Assert.Equal(3, subscriber.Connections);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), entries.Select(e => e.Id));
        ClusterPublisher.AssertEachAckedEntryExactlyOnce(acks, entries);
    }

    /// <summary>
    /// Point 3: a node is killed with SIGKILL while a publish is in flight to it; the publisher retries the same
    /// idempotency key on another node, and the batch is stored once (whether or not the killed node's append had
    /// reached the engine). The same key retried after an ack that did arrive gets the first answer from another node.
    /// </summary>
    [Fact]
    public async Task NodeKilledMidPublish_RetryWithTheSameKeyOnAnotherNode_StoredOnce()
    {
        const int Rounds = 4;
        const int PerRequest = 500;
        await using var cluster = await LocalCluster.StartAsync();
        var acks = new Dictionary<string, PublishResult>();

        // An ack that arrived, then its node died: the retry elsewhere is answered with the same ids, not stored again.
        var first = await ClusterPublisher.PostAsync(cluster.Nodes[0], "acked/0", PerRequest);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        await cluster.Nodes[0].KillAsync();
        var replay = await ClusterPublisher.PostAsync(cluster.Nodes[1], "acked/0", PerRequest);
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.True(replay.Replayed, replay.Body);
        Assert.Equal(first.Ack, replay.Ack);
        acks["acked/0"] = first.Ack!;
        await cluster.Nodes[0].RestartAsync();
        await LocalCluster.WaitHealthyAsync(cluster.Nodes[0]);

        // Kills while the request is in flight: the answer never comes; the retry goes to the next node.
        var outcomes = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var doomed = cluster.Nodes[round % 3];
            var other = cluster.Nodes[(round + 1) % 3];
            var key = $"killed/{round}";
            var inFlight = ClusterPublisher.PostAsync(doomed, key, PerRequest);
            await doomed.KillAsync();
            var lost = await Record(inFlight);
            var retry = await ClusterPublisher.PostAsync(other, key, PerRequest);
            Assert.True(retry.Status == HttpStatusCode.OK, $"{key} retried on {other.Name}: {retry.Status} {retry.Body}");
            outcomes.Add($"{key}: first try {lost}, retry {(retry.Replayed ? "replayed" : "stored")}");
            acks[key] = retry.Ack!;
            await doomed.RestartAsync();
            await LocalCluster.WaitHealthyAsync(doomed);
        }

        await using var subscriber = await ClusterSubscriber.ConnectAsync("check", cluster.Nodes[2]);
        var last = acks.Values.Max(a => a.LastId);
        await subscriber.WaitForAsync(last);
        var entries = subscriber.Entries.Where(e => e.Id <= last).ToList();
        output.WriteLine(string.Join("\n", outcomes));
        Assert.True(entries.Count == acks.Count * PerRequest, string.Join("; ", outcomes));
        ClusterPublisher.AssertEachAckedEntryExactlyOnce(acks, entries);
    }

    /// <summary>What became of a request whose node was killed: an answer, or the connection's failure.</summary>
    private static async Task<string> Record(Task<ClusterPublisher.Answer> request)
    {
        try
        {
            var answer = await request.OrTimeout(Timeout);
            return $"answered {(int)answer.Status}";
        }
        catch (HttpRequestException e)
        {
            return $"failed ({e.HttpRequestError})";
        }
    }
}
