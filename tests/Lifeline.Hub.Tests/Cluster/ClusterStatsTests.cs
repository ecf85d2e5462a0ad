using System.Diagnostics;
using System.Text.Json;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>docs/cluster.md, "Health and monitoring": <c>/v1/stats</c> names the engine servers a node knows and the one it is connected to.</summary>
public sealed class ClusterStatsTests
{
    private static readonly TimeSpan Timeout = ClusterHubs.Timeout;

    /// <summary>
    /// A node given one server learns the two others from it (its <c>connect_urls</c>), says it is connected to the one
    /// it was given, and, once that server is killed, to the other server it reconnected to.
    /// </summary>
    [Fact]
    public async Task Stats_ListTheEngineServersTheNodeKnows_AndTheOneItIsConnectedTo_AlsoAfterAReconnect()
    {
        await using var cluster = await ClusterHubs.StartAsync(1, o => o.ClusterUrls = [o.ClusterUrls[0]]);
        var hub = cluster.Hubs[0];
        var urls = cluster.Engine.Urls;

        var stats = await ClusterAsync(hub);
        Assert.Equal(urls[0], stats.GetProperty("servers")[0].GetString());
        Assert.Equal(urls.Order(), stats.GetProperty("servers").EnumerateArray().Select(s => s.GetString()!).Order());
        Assert.Equal(urls[0], stats.GetProperty("connectedUrl").GetString());
        Assert.Equal(cluster.Engine.Name(0), stats.GetProperty("connectedServer").GetString());

        await cluster.Engine.KillServerAsync(0);

        // The node reconnects by itself, to a server it learnt; stats are read until they say so (no event crosses from NATS.Net's reconnect loop).
        var started = Stopwatch.StartNew();
        while ((stats = await ClusterAsync(hub)).GetProperty("connectedUrl").GetString() is var connected && (connected is null || connected == urls[0]))
        {
            Assert.True(started.Elapsed < Timeout, $"no reconnect to another server within {Timeout.TotalSeconds:0} s: {stats}");
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }

        var index = urls.ToList().IndexOf(stats.GetProperty("connectedUrl").GetString()!);
        Assert.InRange(index, 1, 2);
        Assert.Equal(cluster.Engine.Name(index), stats.GetProperty("connectedServer").GetString());
        Assert.True(stats.GetProperty("connected").GetBoolean());
        Assert.Equal(3, stats.GetProperty("servers").GetArrayLength());
    }

    private static async Task<JsonElement> ClusterAsync(HubHost hub)
    {
        using var doc = JsonDocument.Parse(await hub.Http.GetStringAsync("v1/stats").OrTimeout(Timeout));
        return doc.RootElement.GetProperty("cluster").Clone();
    }
}
