using Lifeline.Hub.Client;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Hub.Tests.HubClient;

/// <summary>Issue 4 point 10: the subscriber ends with every entry exactly once, in order, whatever the network does.</summary>
public class SubscribeUnderFaultsTests
{
    private const int Total = 100_000;
    private const int Batch = 1_000;
    private const int FaultEvery = 10_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Stream100k_WhileTheProxyCutsAndHalfOpensRepeatedly_EveryEntryExactlyOnceInOrder()
    {
        // A short heartbeat so the client's silence detector notices a half-open connection quickly.
        await using var hub = await HubHost.StartAsync(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(200));
        await using var proxy = await StartProxyAsync(hub);
        await using var client = new LifelineHubClient(Options(proxy.GetUri("http"), clientId: "fault-test"));
        using var cts = new CancellationTokenSource();
        var progress = new Progress();
        var received = new long[Total];
        var count = 0;
        var outOfOrder = 0;

        var subscription = Task.Run(async () =>
        {
            var options = new SubscribeOptions { InactivityTimeout = TimeSpan.FromSeconds(1) };
            await foreach (var entry in client.SubscribeAsync(new LogFilter { After = 0 }, options, cts.Token))
            {
                if (count == Total)
                {
                    Interlocked.Increment(ref outOfOrder);   // more than published: a duplicate got through
                    continue;
                }

                received[count] = entry.Id;
                if (entry.Message != $"m{count + 1}")
                {
                    Interlocked.Increment(ref outOfOrder);
                }

                progress.Report(++count);
            }
        });

        // Publish everything at full speed (directly, not through the proxy); the subscriber catches up from the store
        // after each fault, then follows live.
        var publisher = Task.Run(async () =>
        {
            for (var first = 1; first <= Total; first += Batch)
            {
                await hub.PostManyAsync(Batch, first);
            }
        });

        var cuts = 0;
        var halfOpens = 0;
        for (var i = 1; i * FaultEvery < Total; i++)
        {
            await progress.WaitForAsync(i * FaultEvery).OrTimeout(Timeout);
            var reconnected = proxy.WaitForTotalConnectionsAsync(proxy.TotalConnections + 1);
            if (i % 2 == 1)
            {
                await proxy.CutAllAsync(i % 4 == 1 ? CutMode.Reset : CutMode.Close).OrTimeout(Timeout);
                cuts++;
            }
            else
            {
                // Dead network: the hub's bytes vanish while both sockets stay open. The client must notice by silence.
                proxy.SetHalfOpen(Direction.Downstream);
                halfOpens++;
            }

            await reconnected.OrTimeout(Timeout);
            proxy.Heal();
        }

        await publisher.OrTimeout(Timeout);
        await progress.WaitForAsync(Total).OrTimeout(Timeout);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscription.OrTimeout(Timeout));

        Assert.Equal(Total, count);
        Assert.Equal(0, outOfOrder);
        Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), received);
        Assert.True(cuts >= 4 && halfOpens >= 4, $"cuts {cuts}, half-opens {halfOpens}");
        Assert.True(proxy.TotalConnections >= 1 + cuts + halfOpens);
    }
}
