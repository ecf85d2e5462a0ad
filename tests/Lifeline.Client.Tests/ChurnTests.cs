using System.Net.WebSockets;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Client.Tests;

/// <summary>Runs alone (no other test opens sockets meanwhile), so the process's open handles can be compared.</summary>
[CollectionDefinition(nameof(ChurnCollection), DisableParallelization = true)]
public sealed class ChurnCollection;

/// <summary>Churn ends with zero leaked operations (the leak verifier) and no growth in open handles or memory.</summary>
[Collection(nameof(ChurnCollection))]
public class ChurnTests
{
    // Bounds that separate a leak from the process's own noise (thread-pool threads, Kestrel and socket-engine
    // pools, tiered JIT, metrics buffers), which was seen up to ~1.2 MB and a few handles under CI load. A leak
    // grows with the number of connections: one handle per connection is +300 (+1,000 cycles), far past the handle
    // slack; the memory slack catches more than ~14 KB kept per client (300 clients) or ~4 KB per cycle (1,000).
    private const int HandleSlack = 16;
    private const long MemorySlack = 4 * 1024 * 1024;

    [Fact]
    public async Task HundredClients_StartedAndStoppedTogether_LeaveNoHandlesAndNoMemoryBehind()
    {
        await using var server = await TestServer.StartAsync();
        server.QueueConnections = false;
        await RunHundredClientsAsync(server); // warm-up: thread pool, socket engine, Kestrel pools
        var (handlesBefore, memoryBefore) = (OpenHandles(), GC.GetTotalMemory(forceFullCollection: true));

        for (var round = 0; round < 3; round++)
        {
            var reports = await RunHundredClientsAsync(server);
            Assert.All(reports, r => Assert.True(r.ClosedGracefully, r.ToString()));
        }

        Assert.Equal(400, server.TotalConnections);
        Assert.InRange(GC.GetTotalMemory(forceFullCollection: true) - memoryBefore, long.MinValue, MemorySlack);
        await server.DisposeAsync();
        Assert.InRange(OpenHandles() - handlesBefore, int.MinValue, HandleSlack);
    }

    [Fact]
    public async Task AThousandConnectDisconnectCycles_OfOneClient_LeaveNoHandlesAndNoMemoryBehind()
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.CloseAsync(WebSocketCloseStatus.InternalServerError, "churn");
        server.QueueConnections = false;
        var pause = false;
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = TestOptions.For(server.GetUri(), new ManualTimeProvider());
        options.Reconnect.Policy = _ => Volatile.Read(ref pause) ? TimeSpan.FromHours(1) : TimeSpan.Zero; // at once, unless paused
        var client = new LifelineClient(options);
        client.Reconnecting += (_, e) =>
        {
            if (e.Delay > TimeSpan.Zero)
            {
                paused.TrySetResult();
            }
        };
        await client.StartAsync(CancellationToken.None);

        // Measure twice at the same quiet point (client waiting, no connection open): after 100 cycles, after 1,100.
        async Task<(int Handles, long Memory)> MeasureAfterAsync(int connections)
        {
            await server.WaitForTotalConnectionsAsync(connections).OrTimeout(TimeSpan.FromSeconds(120));
            Volatile.Write(ref pause, true);
            await paused.Task.OrTimeout(TimeSpan.FromSeconds(30));
            var measured = (OpenHandles(), GC.GetTotalMemory(forceFullCollection: true));
            paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref pause, false);
            client.ReconnectNow();
            return measured;
        }

        var before = await MeasureAfterAsync(100);
        var after = await MeasureAfterAsync(1_100);
        await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.True(client.GetSnapshot().Connections >= 1_000);
        Assert.InRange(after.Handles - before.Handles, int.MinValue, HandleSlack);
        Assert.InRange(after.Memory - before.Memory, long.MinValue, MemorySlack);
    }

    private static async Task<StopReport[]> RunHundredClientsAsync(TestServer server)
    {
        var clients = Enumerable.Range(0, 100).Select(_ => new LifelineClient(TestOptions.For(server.GetUri()))).ToArray();
        await Task.WhenAll(clients.Select(c => c.StartAsync(CancellationToken.None)));
        await Task.WhenAll(clients.Select(c => c.WaitUntilConnectedAsync(CancellationToken.None))).OrTimeout(TimeSpan.FromSeconds(60));
        return await Task.WhenAll(clients.Select(c => c.StopAsync(CancellationToken.None))).OrTimeout(TimeSpan.FromSeconds(60));
    }

    private static int OpenHandles() => Directory.GetFileSystemEntries("/proc/self/fd").Length;
}
