using System.Net;
using System.Net.Sockets;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Lifeline.Testing.Tests.Faults;

public class FaultProxyLoggingAndEndPointTests
{
    [Fact]
    public async Task UpstreamGivenAsDnsEndPoint_IsReached()
    {
        using var upstream = new Upstream();
        var port = ((IPEndPoint)upstream.EndPoint).Port;
        await using var proxy = await FaultProxy.StartAsync(new DnsEndPoint("localhost", port));

        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await client.SendTextAsync("dns");
            Assert.Equal("dns", await server.ReadTextAsync(3));
        }
    }

    [Fact]
    public async Task FaultsAndConnections_AreLogged_WithFixedEventIds()
    {
        using var sink = new FakeLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(sink).SetMinimumLevel(LogLevel.Trace));
        using var upstream = new Upstream();
        await using (var proxy = await FaultProxy.StartAsync(upstream.EndPoint, new FaultProxyOptions { LoggerFactory = factory }))
        {
            var (client, server) = await upstream.ConnectThroughAsync(proxy);
            using (client)
            using (server)
            {
                await client.SendTextAsync("x");
                Assert.Equal("x", await server.ReadTextAsync(1));
                proxy.SetHalfOpen(Direction.Upstream);
                proxy.Heal();
                await proxy.CutAllAsync(CutMode.Reset).OrTimeout();
            }
        }

        var entries = sink.Collector.GetSnapshot();
        var ids = entries.Select(e => e.Id.Id).ToHashSet();
        Assert.Superset(new HashSet<int> { 1, 2, 3, 5, 7, 8, 9, 10 }, ids);
        Assert.Contains(entries, e => e.Id.Id == 7 && e.Message.Contains("cutting 1 connection", StringComparison.Ordinal));
    }
}
