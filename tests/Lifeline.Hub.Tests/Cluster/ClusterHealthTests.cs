using Lifeline.Hub.Auth;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// docs/cluster.md, "Health and monitoring": a cluster node's <c>/healthz</c> waits for the revocations made on other
/// nodes, not only for its mirror (the multi-process health tests are in Lifeline.Cli.Tests/Cluster).
/// </summary>
public sealed class ClusterHealthTests
{
    [Fact]
    public async Task Health_MirrorCaughtUpButRevocationsNotLoaded_CatchingUpWithReason_ThenOk()
    {
        await using var cluster = await ClusterHubs.StartAsync(1);
        var hub = cluster.Hubs[0];
        var services = hub.Services;
        var keys = services.GetRequiredService<ApiKeyStore>();
        await using var revocations = new ClusterRevocations(keys, new ClusterRevocationSettings(cluster.Engine.Urls, "node0", Replicas: 3), TimeProvider.System, NullLogger.Instance);
        var stats = new StatsEndpoint(hub.Core(), services.GetRequiredService<HubAuth>(), keys, revocations);

        Assert.Equal(("catching_up", "the revocations made on other nodes are not loaded yet"), stats.Health());

        revocations.Start();
        await revocations.WhenLoaded.OrTimeout(ClusterHubs.Timeout);
        Assert.Equal(("ok", (string?)null), stats.Health());
    }
}
