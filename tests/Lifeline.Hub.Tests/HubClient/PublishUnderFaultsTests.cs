using Lifeline.Hub.Client;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Hub.Tests.HubClient;

/// <summary>Acknowledged publishing: a batch retried across broken connections is stored exactly once.</summary>
public class PublishUnderFaultsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Publish20kInBatches_WhileTheProxyCutsAndHalfOpens_HubStoresEachEntryExactlyOnceInOrder()
    {
        const int batches = 200, size = 100;
        await using var hub = await HubHost.StartAsync();
        await using var proxy = await StartProxyAsync(hub);
        await using var client = new LifelineHubClient(Options(proxy.GetUri("http"), clientId: "publisher-under-faults"));
        var progress = new Progress();

        var publisher = Task.Run(async () =>
        {
            var acked = 0L;
            for (var b = 0; b < batches; b++)
            {
                var ack = await client.PublishAsync(Entries(b * size + 1, size), CancellationToken.None);
                Assert.Equal(size, ack.Count);
                Assert.Equal(ack.FirstId + size - 1, ack.LastId);
                Assert.True(ack.FirstId > acked, "ids go forward");
                acked = ack.LastId;
                progress.Report(b + 1);
            }
        });

        for (var i = 1; i <= 8; i++)
        {
            await progress.WaitForAsync(i * batches / 10).OrTimeout(Timeout);
            var reconnected = proxy.WaitForTotalConnectionsAsync(proxy.TotalConnections + 1);
            if (i % 2 == 0)
            {
                // Acks vanish (the hub stores, the client never hears): only a retry with the same ref can finish the batch.
                proxy.SetHalfOpen(Direction.Downstream);
                await proxy.WaitForDroppedBytesAsync(proxy.DroppedBytes + 1).OrTimeout(Timeout);
                proxy.Heal();
            }

            await proxy.CutAllAsync(CutMode.Reset).OrTimeout(Timeout);
            await reconnected.OrTimeout(Timeout);
        }

        await publisher.OrTimeout(Timeout);

        var stored = await QueryAllAsync(hub);
        Assert.Equal(Entries(1, batches * size).Select(e => e.Message), stored.Select(e => e.Message));
        Assert.Equal(Enumerable.Range(1, batches * size).Select(i => (long)i), stored.Select(e => e.Id));
    }
}
