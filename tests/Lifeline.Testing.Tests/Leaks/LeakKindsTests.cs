using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Lifeline.Testing.Leaks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lifeline.Testing.Tests.Leaks;

/// <summary>
/// One test per kind of leak: each starts the leak inside an inner scope, proves the scope's check names it,
/// then ends it and proves the same check passes. The outer, per-test check (this assembly runs under
/// [VerifyNoLeaks]) then proves the cleanup really ended everything.
/// </summary>
public class LeakKindsTests
{
    internal static readonly LeakOptions Quick = new() { Timeout = TimeSpan.FromMilliseconds(100) };

    [Fact]
    public async Task TaskDelayLoop_IsReportedWithItsMethodAndWhatItAwaits()
    {
        using var cts = new CancellationTokenSource();
        var scope = LeakVerifier.CreateScope("leaky-delay", Quick);
        var loop = scope.RunAsync(() => DelayLoopAsync(cts.Token));

        var report = await scope.VerifyAsync();

        Assert.Equal("found 1 unexpected pending operation started by leaky-delay: [async] LeakKindsTests.DelayLoopAsync awaiting Task.Delay", report.ToString());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        Assert.False((await scope.VerifyAsync()).HasLeaks);
    }

    [Fact]
    public async Task ChannelReadLoop_IsReportedAsAChannelWait()
    {
        var channel = Channel.CreateUnbounded<int>();
        var scope = LeakVerifier.CreateScope("leaky-channel", Quick);
        var loop = scope.RunAsync(() => DrainAsync(channel.Reader));

        var report = await scope.VerifyAsync();

        var operation = Assert.Single(report.Operations);
        Assert.Equal(PendingOperationKind.AsyncMethod, operation.Kind);
        Assert.Equal("LeakKindsTests.DrainAsync", operation.Top.Name);
        Assert.StartsWith("Channel", operation.WaitingOn, StringComparison.Ordinal);
        Assert.Equal("leaky-channel", operation.StartedBy);
        channel.Writer.Complete();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False((await scope.VerifyAsync()).HasLeaks);
    }

    [Fact]
    public async Task TimerKeptAlive_IsReportedWithItsCallback()
    {
        var scope = LeakVerifier.CreateScope("leaky-timer", Quick);
        Timer timer;
        using (scope.Enter())
        {
            timer = new Timer(OnTick, null, TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        }

        var report = await scope.VerifyAsync();

        Assert.Equal("found 1 unexpected pending operation started by leaky-timer: [timer] LeakKindsTests.OnTick (every 3600000 ms)", report.ToString());
        await timer.DisposeAsync();
        Assert.False((await scope.VerifyAsync()).HasLeaks);
    }

    [Fact]
    public async Task TimerNobodyReferences_IsCollectedNotReported()
    {
        var scope = LeakVerifier.CreateScope("dropped-timer", Quick);
        using (scope.Enter())
        {
            CreateAndDropTimer();
        }

        // The check forces a full collection before it reports: the dropped timer is finalized, not leaked.
        Assert.False((await scope.VerifyAsync()).HasLeaks);
    }

    [Fact]
    public async Task TaskRunDelegateStillRunning_IsReportedAsATask()
    {
        using var gate = new ManualResetEventSlim();
        var scope = LeakVerifier.CreateScope("leaky-task-run", Quick);
        Task worker;
        using (scope.Enter())
        {
            worker = Task.Run(() => gate.Wait(TimeSpan.FromSeconds(30)));
        }

        var report = await scope.VerifyAsync();

        var operation = Assert.Single(report.Operations);
        Assert.Equal(PendingOperationKind.TaskDelegate, operation.Kind);
        Assert.Equal("LeakKindsTests.TaskRunDelegateStillRunning_IsReportedAsATask.lambda", operation.Top.Name);
        gate.Set();
        await worker.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False((await scope.VerifyAsync()).HasLeaks);
    }

    [Fact]
    public async Task ReceiveOnUndisposedClientWebSocket_IsReportedAsASocketReceive()
    {
        await using var server = await WebSocketHoldServer.StartAsync();
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(server.Uri, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var scope = LeakVerifier.CreateScope("leaky-socket", Quick);
        var receive = scope.RunAsync(() => ReceiveLoopAsync(socket));
        try
        {
            var report = await scope.VerifyAsync();

            var operation = Assert.Single(report.Operations);
            Assert.Equal("LeakKindsTests.ReceiveLoopAsync", operation.Top.Name);
            Assert.True(operation.WaitingOn == "Socket receive", operation.ToString());
        }
        finally
        {
            socket.Abort();
            socket.Dispose();
        }

        await Assert.ThrowsAnyAsync<Exception>(() => receive.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False((await scope.VerifyAsync()).HasLeaks);
    }

    [Fact]
    public async Task CleanScope_PassesAtOnce()
    {
        var scope = LeakVerifier.CreateScope("clean", Quick);
        await scope.RunAsync(async () =>
        {
            await Task.Yield();
            using var cts = new CancellationTokenSource();
            var loop = DelayLoopAsync(cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        });

        var report = await scope.VerifyAsync();

        Assert.False(report.HasLeaks, report.ToString());
        Assert.Equal("no pending operations started by clean", report.ToString());
    }

    [Fact]
    public async Task WorkThatIsAlreadyEnding_GetsTheRetryWindowInsteadOfBeingReported()
    {
        using var cts = new CancellationTokenSource();
        var scope = LeakVerifier.CreateScope("ending", new LeakOptions { Timeout = TimeSpan.FromSeconds(5) });
        var loop = scope.RunAsync(() => DelayLoopAsync(cts.Token));

        // Cancelled but not awaited: the loop unwinds on the thread pool while the check retries.
        cts.Cancel();
        var report = await scope.VerifyAsync();

        Assert.False(report.HasLeaks, report.ToString());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    internal static async Task DelayLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromHours(1), cancellationToken);
        }
    }

    private static async Task DrainAsync(ChannelReader<int> reader)
    {
        await foreach (var item in reader.ReadAllAsync())
        {
            GC.KeepAlive(item);
        }
    }

    private static async Task ReceiveLoopAsync(ClientWebSocket socket)
    {
        var buffer = new byte[1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    private static void OnTick(object? state)
    {
    }

    private static void CreateAndDropTimer() => _ = new Timer(OnTick, null, TimeSpan.FromHours(1), TimeSpan.FromHours(1));
}

/// <summary>A real Kestrel server on 127.0.0.1:0 whose WebSocket endpoint accepts and then waits for the client to close.</summary>
internal sealed class WebSocketHoldServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebSocketHoldServer(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    public Uri Uri { get; }

    public static async Task<WebSocketHoldServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                // The client went away: the point of these tests.
            }
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new WebSocketHoldServer(app, new Uri($"ws://127.0.0.1:{address.Port}/ws"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
