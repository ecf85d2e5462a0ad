using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>Issue 13: <c>/healthz</c>, <c>/v1/stats</c> and revocation on a cluster of real processes.</summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ClusterHealthTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Stats_EveryNode_SaysWhichNodeAnswered_AndItsEngineAndMirrorState()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var answer = await ClusterPublisher.PostAsync(cluster.Nodes[0], "stats/0", 10);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        await using (var subscriber = await ClusterSubscriber.ConnectAsync("stats", cluster.Nodes[2]))
        {
            await subscriber.WaitForAsync(10);
        }

        var servers = Enumerable.Range(0, cluster.Engine.Count).Select(cluster.Engine.Name).ToList();
        foreach (var node in cluster.Nodes)
        {
            await LocalCluster.WaitHealthyAsync(node);
            var stats = await LocalCluster.StatsWithLeaderAsync(node);
            Assert.Equal(node.Name, stats.GetProperty("node").GetString());
            var engine = stats.GetProperty("cluster");
            Assert.True(engine.GetProperty("connected").GetBoolean());
            Assert.Contains(engine.GetProperty("streamLeader").GetString(), servers);
            Assert.True(engine.GetProperty("appliedSequence").GetInt64() >= 1, engine.ToString());
            Assert.Equal(Math.Max(0, engine.GetProperty("lastSequence").GetInt64() - engine.GetProperty("appliedSequence").GetInt64()), engine.GetProperty("mirrorLag").GetInt64());
            Assert.True(engine.GetProperty("revocationsLoaded").GetBoolean());
            Assert.Equal(10, stats.GetProperty("lastId").GetInt64());

            using var health = await node.Http.GetAsync(node.Url("healthz"));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal($$"""{"status":"ok","node":"{{node.Name}}"}""", await health.Content.ReadAsStringAsync());
        }
    }

    /// <summary>
    /// Every engine server down: each node answers <c>/healthz</c> 503 with the reason, a publish gets 503 (never an
    /// ack), an open stream stays up; once the servers are back, healthz is 200 again and the stream goes on.
    /// </summary>
    [Fact]
    public async Task EngineDown_Healthz503WithReason_PublishNotAcked_Revoke503ThenShared_StreamStaysUp_AllBackAfterwards()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var (hub1, hub2) = (cluster.Nodes[0], cluster.Nodes[1]);
        Assert.Equal(HttpStatusCode.OK, (await ClusterPublisher.PostAsync(hub1, "before/0", 5)).Status);
        await using var subscriber = await ClusterSubscriber.ConnectAsync("through", hub2);
        await subscriber.WaitForAsync(5);

        for (var i = 0; i < cluster.Engine.Count; i++)
        {
            await cluster.Engine.KillServerAsync(i);
        }

        var reason = await WaitForHealthAsync(hub1, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("unavailable", reason.GetProperty("status").GetString());
        Assert.Equal("not connected to the cluster's engine", reason.GetProperty("reason").GetString());
        Assert.Equal(hub1.Name, reason.GetProperty("node").GetString());

        var refused = await ClusterPublisher.PostAsync(hub1, "during/0", 5);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        Assert.Equal("unavailable", JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetString());
        Assert.False(subscriber.Closed.IsCompleted);

        // A revoke the engine cannot take: revoked on hub1 at once, 503 for the cluster, shared once the engine is back.
        using (var revoke = new HttpRequestMessage(HttpMethod.Post, hub1.Url("v1/keys/revoke")) { Content = new StringContent("""{"id":"spare"}""", Encoding.UTF8, "application/json") })
        using (var pending = await hub1.Http.SendAsync(revoke).OrTimeout(Timeout))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, pending.StatusCode);
            Assert.Contains("is revoked on this node", await pending.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(hub1, LocalCluster.SpareKey));

        // All at once: one server alone has no quorum to elect a meta leader.
        await cluster.Engine.StartServerAsync([.. Enumerable.Range(0, cluster.Engine.Count)]);

        foreach (var node in cluster.Nodes)
        {
            await LocalCluster.WaitHealthyAsync(node);
        }

        // hub1 keeps offering the revocation; once the engine takes it, hub3 refuses the key too.
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (await StatusWithAsync(cluster.Nodes[2], LocalCluster.SpareKey) != HttpStatusCode.Unauthorized)
        {
            Assert.True(started.Elapsed < Timeout, "the revocation never reached hub3");
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }

        var after = await ClusterPublisher.PostAsync(hub1, "after/0", 5);
        Assert.True(after.Status == HttpStatusCode.OK, after.Body);
        await subscriber.WaitForAsync(after.Ack!.LastId);
        Assert.False(subscriber.Closed.IsCompleted);
        Assert.Equal(1, subscriber.Connections);
        Assert.Empty(subscriber.OrderViolations);
    }

    /// <summary>Point 7: a revoke on one node closes the key's sockets on every node; a node that was down then refuses the key when it is back.</summary>
    [Fact]
    public async Task RevokeOnOneNode_ClosesTheKeysSocketsOnEveryNode_ANodeDownMeanwhileRefusesItWhenBack()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var (hub1, hub2, hub3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        await hub3.KillAsync();
        await using var on1 = await ClusterSubscriber.ConnectAsync("reader-1", hub1);
        await using var on2 = await ClusterSubscriber.ConnectAsync("reader-2", hub2);

        using var revoke = new HttpRequestMessage(HttpMethod.Post, hub1.Url("v1/keys/revoke")) { Content = new StringContent("""{"id":"reader"}""", Encoding.UTF8, "application/json") };
        using var answer = await hub1.Http.SendAsync(revoke).OrTimeout(Timeout);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("""{"revoked":"reader"}""", await answer.Content.ReadAsStringAsync());

        foreach (var subscriber in new[] { on1, on2 })
        {
            var (status, _) = await subscriber.Closed.OrTimeout(Timeout);
            Assert.Equal((WebSocketCloseStatus)4401, status);
        }

        await hub3.RestartAsync();
        await LocalCluster.WaitHealthyAsync(hub3);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(node, LocalCluster.ReadKey));
        }
    }

    /// <summary><c>GET /v1/stats</c> on <paramref name="node"/> with <paramref name="key"/>: its status.</summary>
    private static async Task<HttpStatusCode> StatusWithAsync(HubNode node, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, node.Url("v1/stats"));
        request.Headers.Authorization = new("Bearer", key);
        using var response = await node.Http.SendAsync(request).OrTimeout(Timeout);
        return response.StatusCode;
    }

    /// <summary>Polls <c>/healthz</c> until it answers <paramref name="status"/>; returns the body.</summary>
    private static async Task<JsonElement> WaitForHealthAsync(HubNode node, HttpStatusCode status)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var last = string.Empty;
        while (started.Elapsed < Timeout)
        {
            using var response = await node.Http.GetAsync(node.Url("healthz")).OrTimeout(Timeout);
            last = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == status)
            {
                return JsonDocument.Parse(last).RootElement.Clone();
            }

            // Polling a child process: there is no event to wait on across processes.
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }

        throw new TimeoutException($"{node.Name}: /healthz never answered {status}; last {last}");
    }
}
