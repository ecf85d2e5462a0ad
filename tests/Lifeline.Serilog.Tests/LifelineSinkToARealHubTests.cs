using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Serilog;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Serilog.Tests;

/// <summary>The sink against a real hub: the same guarantees as the logging provider, through the shared shipping core.</summary>
public class LifelineSinkToARealHubTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HubUnreachableForAWhile_EventsBufferedThenDelivered_InOrder_Once_CloseAndFlushWaits()
    {
        await using var hub = await HubHost.StartAsync();
        await using var proxy = await StartProxyAsync(hub);
        var url = proxy.GetUri("http");
        var sink = new LifelineSink(new() { Url = url, MaxBatchSize = 64, ConfigureClient = Options(url).ConfigureClient });
        await using (var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
        {
            logger.ForContext("SourceContext", "worker").Information("first {N}", 0);
            await proxy.WaitForConnectionsAsync(1).OrTimeout(Timeout);

            await proxy.RefuseNewConnectionsAsync(RefusalMode.StopListening).OrTimeout(Timeout);
            await proxy.CutAllAsync(CutMode.Reset).OrTimeout(Timeout);
            for (var i = 1; i <= 500; i++)
            {
                logger.ForContext("SourceContext", "worker").Information("during {N}", i);
            }

            await proxy.AcceptNewConnectionsAsync().OrTimeout(Timeout);
        }

        // Disposing the logger disposed the sink: everything buffered was published and acknowledged first.
        var stored = await QueryAllAsync(hub);
        Assert.Equal(["first 0", .. Enumerable.Range(1, 500).Select(i => $"during {i}")], stored.Select(e => e.Message));
        Assert.All(stored, e => Assert.Equal("worker", e.Source));
        Assert.Equal(0, sink.Shipper.GetStats().Dropped);
    }
}
