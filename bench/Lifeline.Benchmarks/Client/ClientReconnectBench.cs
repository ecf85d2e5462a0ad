using System.Diagnostics;
using Lifeline.Client;
using Lifeline.Testing.Faults;

namespace Lifeline.Benchmarks.Client;

/// <summary>
/// Time to reconnect once the server is back: the proxy cuts every connection and refuses new ones, the client backs
/// off (fixed 200 ms delay through the policy hook), the server comes back, and we measure how long after the current
/// backoff wait ends the client is connected again (target: within that wait + 50 ms). Bounded: 20 outages.
/// </summary>
internal sealed class ClientReconnectBench : IBenchCommand
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(200);

    public string Name => "client-reconnect";

    public string Description => "LifelineClient: time to reconnect once the server is back, beyond the backoff delay";

    public async Task<int> RunAsync(string[] args)
    {
        await using var server = await BenchServer.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(server.EndPoint);
        long waitEndsAt = 0;
        var connected = new SemaphoreSlim(0);
        await using var client = new LifelineClient(new LifelineClientOptions
        {
            Uri = proxy.GetUri("ws", "/idle"),
            KeepAliveInterval = TimeSpan.Zero,
            Reconnect = new ReconnectOptions { Policy = _ => Delay },
        });
        client.Reconnecting += (_, e) => Volatile.Write(ref waitEndsAt, Stopwatch.GetTimestamp() + (long)(e.Delay.TotalSeconds * Stopwatch.Frequency));
        client.Connected += (_, _) => connected.Release();
        await client.StartAsync(CancellationToken.None);
        await connected.WaitAsync();

        var afterServerBack = new List<double>();
        var beyondWait = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            await proxy.RefuseNewConnectionsAsync(RefusalMode.StopListening);
            await proxy.CutAllAsync();
            await Task.Delay(Delay * 1.5);                     // at least one refused attempt: the client is mid-backoff
            await proxy.AcceptNewConnectionsAsync();
            var back = Stopwatch.GetTimestamp();
            await connected.WaitAsync();
            var now = Stopwatch.GetTimestamp();
            afterServerBack.Add(Stopwatch.GetElapsedTime(back, now).TotalMilliseconds);
            beyondWait.Add(Stopwatch.GetElapsedTime(Math.Max(back, Volatile.Read(ref waitEndsAt)), now).TotalMilliseconds);
        }

        Console.WriteLine($"backoff delay {Delay.TotalMilliseconds} ms (policy), 20 outages");
        Console.WriteLine($"server back -> connected:          {Stats.Summarize(afterServerBack)}");
        Console.WriteLine($"end of current backoff -> connected: {Stats.Summarize(beyondWait)}  (target <= 50 ms)");
        return 0;
    }
}
