using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lifeline.Client;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Time;

namespace Lifeline.Benchmarks.Client;

/// <summary>
/// StopAsync latency in each state: connected to a healthy server (close handshake), connecting to a server that never
/// answers the handshake, waiting out a backoff, and mid-send on a stalled socket with a 100 ms stop deadline.
/// Bounded: a fixed number of iterations per state, a few seconds in all.
/// </summary>
internal sealed class ClientStopBench : IBenchCommand
{
    private const int Iterations = 50;

    public string Name => "client-stop";

    public string Description => "LifelineClient.StopAsync latency per state (connected, connecting, backoff, stalled send)";

    public async Task<int> RunAsync(string[] args)
    {
        await using var server = await BenchServer.StartAsync();
        Console.WriteLine($"connected (healthy):      {Stats.Summarize(await MeasureAsync(() => Options(server.GetUri("/idle")), c => c.WaitUntilConnectedAsync(CancellationToken.None)))}");

        using var hanging = new TcpListener(IPAddress.Loopback, 0);
        hanging.Start(backlog: 1024);
        var hangingUri = new Uri($"ws://127.0.0.1:{((IPEndPoint)hanging.LocalEndpoint).Port}/ws");
        Console.WriteLine($"connecting (hung):        {Stats.Summarize(await MeasureAsync(() => Options(hangingUri), _ => Task.Delay(20)))}");

        Console.WriteLine($"backoff wait:             {Stats.Summarize(await MeasureAsync(() => Options(server.GetUri("/reject")), WaitForBackoffAsync))}");

        var proxyTime = new ManualTimeProvider();
        await using var proxy = await FaultProxy.StartAsync(server.EndPoint, new FaultProxyOptions { TimeProvider = proxyTime });
        var (stalled, afterToken) = await MeasureStalledAsync(proxy, proxyTime);
        Console.WriteLine($"stalled send, 100 ms deadline: {Stats.Summarize(stalled)}  (deadline overshoot p99 {stalled.Order().ElementAt((int)(stalled.Count * 0.99)) - 100:F2} ms)");
        Console.WriteLine($"  of which after the token fired: {Stats.Summarize(afterToken)}  (the rest is the timer firing late)");
        return 0;
    }

    private static LifelineClientOptions Options(Uri uri) => new()
    {
        Uri = uri,
        KeepAliveInterval = TimeSpan.Zero,
        Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromSeconds(30), MaxDelay = TimeSpan.FromSeconds(30) },
        MaxMessageBytes = 64 * 1024 * 1024,
    };

    private static async Task WaitForBackoffAsync(LifelineClient client)
    {
        while (client.State != ClientState.Reconnecting)
        {
            await Task.Delay(1);
        }
    }

    private static async Task<List<double>> MeasureAsync(Func<LifelineClientOptions> options, Func<LifelineClient, Task> reachState)
    {
        var millis = new List<double>();
        for (var i = 0; i < Iterations + 5; i++)
        {
            var client = new LifelineClient(options());
            await client.StartAsync(CancellationToken.None);
            await reachState(client);
            var started = Stopwatch.GetTimestamp();
            await client.StopAsync(CancellationToken.None);
            if (i >= 5)
            {
                millis.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        return millis;
    }

    private static async Task<(List<double> Total, List<double> AfterToken)> MeasureStalledAsync(FaultProxy proxy, ManualTimeProvider proxyTime)
    {
        var millis = new List<double>();
        var afterToken = new List<double>();
        var payload = new byte[32 * 1024 * 1024];
        for (var i = 0; i < 20; i++)
        {
            proxy.Heal();
            var client = new LifelineClient(Options(proxy.GetUri("ws", "/idle")));
            await client.StartAsync(CancellationToken.None);
            await client.WaitUntilConnectedAsync(CancellationToken.None);
            var timers = proxyTime.ActiveTimerCount;
            proxy.SetLatency(Direction.Upstream, TimeSpan.FromHours(1));
            var send = client.SendAsync(payload, CancellationToken.None).AsTask();
            await proxyTime.WaitForTimersAsync(timers + 1);
            using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            long fired = 0;
            using var firedAt = deadline.Token.UnsafeRegister(_ => fired = Stopwatch.GetTimestamp(), null);
            var started = Stopwatch.GetTimestamp();
            await client.StopAsync(deadline.Token);
            var ended = Stopwatch.GetTimestamp();
            millis.Add(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
            afterToken.Add(Stopwatch.GetElapsedTime(Volatile.Read(ref fired), ended).TotalMilliseconds);
            await send;
            proxy.Heal();
            await proxy.CutAllAsync();
        }

        return (millis, afterToken);
    }
}
