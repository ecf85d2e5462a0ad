using Lifeline.Hub.Storage;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// Issue 13, the engine side: several nodes' <see cref="Log.JetStreamEntryLog"/>s on one real 3-server JetStream cluster
/// keep protocol v1: contiguous ids per publish, one global order delivered alike on every node, exact idempotency.
/// </summary>
public sealed class ClusterLogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ConcurrentAppendsOnTwoNodes_GetContiguousIdsPerPublish_AndBothNodesDeliverTheSameOrder()
    {
        await using var cluster = await NatsServerCluster.StartAsync();
        await using var a = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "a"));
        await using var b = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "b"));

        // 100 publishes of 5 entries, half on each node, all at once: the nodes race for the stream's next sequence.
        var appends = Enumerable.Range(0, 100)
            .Select(i => (i % 2 == 0 ? a : b).AppendAsync($"k{i}", [.. Enumerable.Range(0, 5).Select(j => $"p{i}e{j}")]))
            .ToList();
        var answers = await Task.WhenAll(appends).OrTimeout(Timeout);

        foreach (var (result, replayed) in answers)
        {
            Assert.False(replayed);
            Assert.Equal(5, result.Count);
            Assert.Equal(result.FirstId + 4, result.LastId);
        }

        var ids = answers.SelectMany(x => Enumerable.Range(0, 5).Select(j => x.Result.FirstId + j)).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), ids);

        await Task.WhenAll(a.Sink.WaitForAsync(500), b.Sink.WaitForAsync(500)).OrTimeout(Timeout);
        Assert.Empty(a.Sink.Violations);
        Assert.Empty(b.Sink.Violations);
        Assert.Equal(a.Sink.Entries.Select(e => (e.Id, e.Message)), b.Sink.Entries.Select(e => (e.Id, e.Message)));

        // Each publish's entries sit at the ids its answer named, in its order.
        var byId = a.Sink.Entries.ToDictionary(e => e.Id, e => e.Message);
        for (var i = 0; i < 100; i++)
        {
            for (var j = 0; j < 5; j++)
            {
                Assert.Equal($"p{i}e{j}", byId[answers[i].Result.FirstId + j]);
            }
        }
    }

    [Fact]
    public async Task AnAppendThatLostTheRace_IsRebuiltWithTheIdsAfterTheWinner()
    {
        await using var cluster = await NatsServerCluster.StartAsync();
        await using var a = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "a"));
        await using var b = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "b"));
        await Task.WhenAll(a.Log.CatchUpAsync(CancellationToken.None), b.Log.CatchUpAsync(CancellationToken.None)).OrTimeout(Timeout);

        // b's applier is held on a's batch: b still believes the stream ends before it, and appends after that.
        using var gate = b.Sink.HoldNext();
        var first = await a.AppendAsync("a1", "a-1", "a-2", "a-3").OrTimeout(Timeout);
        await gate.Entered.Task.OrTimeout(Timeout);
        var refused = RaceLost(b);
        var lost = b.AppendAsync("b1", "b-1", "b-2");

        // The engine refuses b's append (wrong last sequence): b waits for its mirror, which waits for the gate.
        await refused.OrTimeout(Timeout);
        Assert.False(lost.IsCompleted);
        gate.Open();
        var second = await lost.OrTimeout(Timeout);

        Assert.Equal((3, 1L, 3L), (first.Result.Count, first.Result.FirstId, first.Result.LastId));
        Assert.Equal((2, 4L, 5L), (second.Result.Count, second.Result.FirstId, second.Result.LastId));
        Assert.False(second.Replayed);
        Assert.Equal(1, b.Log.Engine.RacesLost);
        await Task.WhenAll(a.Sink.WaitForAsync(5), b.Sink.WaitForAsync(5)).OrTimeout(Timeout);
        Assert.Equal(["a-1", "a-2", "a-3", "b-1", "b-2"], b.Sink.Entries.Select(e => e.Message));
        Assert.Equal(a.Sink.Entries.Select(e => (e.Id, e.Message)), b.Sink.Entries.Select(e => (e.Id, e.Message)));
    }

    [Fact]
    public async Task TheSameKeyOnTwoNodes_IsStoredOnce_AndTheSecondIsAnsweredWithTheFirstIds()
    {
        await using var cluster = await NatsServerCluster.StartAsync();
        await using var a = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "a"));
        await using var b = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "b"));
        await Task.WhenAll(a.Log.CatchUpAsync(CancellationToken.None), b.Log.CatchUpAsync(CancellationToken.None)).OrTimeout(Timeout);

        // b has not seen a's first batch (its applier is held there) when the retry of a's second publish reaches b: b
        // appends it after what it knows, the engine refuses, and once b's mirror holds a's batch the key is found there.
        using var gate = b.Sink.HoldNext();
        await a.AppendAsync("other", "x").OrTimeout(Timeout);
        await gate.Entered.Task.OrTimeout(Timeout);
        var original = await a.AppendAsync("client/ref-7", "once-1", "once-2").OrTimeout(Timeout);
        var refused = RaceLost(b);
        var retry = b.AppendAsync("client/ref-7", "once-1", "once-2");
        await refused.OrTimeout(Timeout);
        Assert.False(retry.IsCompleted);
        gate.Open();
        var replayed = await retry.OrTimeout(Timeout);

        Assert.Equal(original.Result, replayed.Result);
        Assert.True(replayed.Replayed);
        Assert.False(original.Replayed);

        // Asked again on either node (now from the stream's keys at once): the same answer, and nothing more stored.
        Assert.Equal((original.Result, true), await b.AppendAsync("client/ref-7", "once-1", "once-2").OrTimeout(Timeout));
        Assert.Equal((original.Result, true), await a.AppendAsync("client/ref-7", "once-1", "once-2").OrTimeout(Timeout));
        var marker = await a.AppendAsync("marker", "end").OrTimeout(Timeout);
        Assert.Equal(4, marker.Result.FirstId);
        await b.Sink.WaitForAsync(4).OrTimeout(Timeout);
        Assert.Equal(["x", "once-1", "once-2", "end"], b.Sink.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task ASqliteMirror_ResumesAfterItsStoredPosition_AndKeepsTheKeysItStored()
    {
        await using var cluster = await NatsServerCluster.StartAsync();
        var db = Path.Combine(Path.GetTempPath(), $"lifeline-mirror-{Guid.NewGuid():N}.db");
        try
        {
            HubOptions SqliteNode()
            {
                var o = ClusterNode.Options(cluster, "a");
                o.Store = HubStoreKind.Sqlite;
                o.SqlitePath = db;
                return o;
            }

            await using var b = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "b"));
            (PublishResult Result, bool Replayed) kept;
            long applied;
            await using (var a = await ClusterNode.StartAsync(SqliteNode()))
            {
                kept = await a.AppendAsync("kept", "one", "two").OrTimeout(Timeout);
                await a.AppendAsync("k2", "three").OrTimeout(Timeout);
                await a.Log.CatchUpAsync(CancellationToken.None).OrTimeout(Timeout);
                applied = a.Log.Engine.AppliedSequence;
            }

            // While a is down the log moves on through b.
            var later = await b.AppendAsync("later", "four", "five").OrTimeout(Timeout);
            Assert.Equal(4, later.Result.FirstId);

            await using var again = await ClusterNode.StartAsync(SqliteNode());

            // It starts where its file says, before it reads anything from the engine...
            Assert.Equal(applied, again.Log.Engine.AppliedSequence);
            Assert.Equal(3, again.Log.LastId);

            // ...reads only what it missed, and answers a key it stored before the restart from its file.
            await again.Log.CatchUpAsync(CancellationToken.None).OrTimeout(Timeout);
            await again.Sink.WaitForAsync(2).OrTimeout(Timeout);
            Assert.Equal([4L, 5L], again.Sink.Entries.Select(e => e.Id));
            Assert.Equal((kept.Result, true), await again.AppendAsync("kept", "one", "two").OrTimeout(Timeout));
            var page = new List<StoredEntry>();
            await again.Log.ReadAsync(0, 100, page, CancellationToken.None);
            Assert.Equal(["one", "two", "three", "four", "five"], page.Select(e => e.Message));
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(db)!, Path.GetFileName(db) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task APublishLargerThanTheEnginesMaxPayload_IsRefusedWhole_AsTooLarge_AndTheNextIsStored()
    {
        await using var cluster = await NatsServerCluster.StartAsync();
        await using var a = await ClusterNode.StartAsync(ClusterNode.Options(cluster, "a"));

        // About 1.5 MiB in one publish, over nats-server's default max_payload (1 MiB): one message cannot hold it, and
        // splitting it would break all-or-nothing.
        var big = Enumerable.Range(0, 3000).Select(i => $"{i}-" + new string('x', 500)).ToArray();
        var error = await Assert.ThrowsAsync<ProtocolException>(() => a.AppendAsync("big", big).OrTimeout(Timeout));
        Assert.Equal(ErrorCodes.TooLarge, error.ErrorCode);
        Assert.Contains("max_payload", error.Message, StringComparison.Ordinal);

        var next = await a.AppendAsync("small", "after").OrTimeout(Timeout);
        Assert.Equal((1, 1L), (next.Result.Count, next.Result.FirstId));
        await a.Sink.WaitForAsync(1).OrTimeout(Timeout);
        Assert.Equal(["after"], a.Sink.Entries.Select(e => e.Message));
    }

    /// <summary>Completes when <paramref name="node"/>'s next append is refused because another node's came first.</summary>
    private static Task RaceLost(ClusterNode node)
    {
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Log.RaceLost += () => lost.TrySetResult();
        return lost.Task;
    }
}
