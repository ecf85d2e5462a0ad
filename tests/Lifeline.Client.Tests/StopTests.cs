using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Client.Tests;

/// <summary>StopAsync in every state returns promptly, honours its token, ends everything and reports what it abandoned.
/// The leak verifier checks after each test that no task, timer or socket of the client is left.</summary>
public class StopTests
{
    [Fact]
    public async Task StopAsync_WhileTheHandshakeHangs_ReturnsPromptly_AndReportsTheAbandonedAttempt()
    {
        await using var hanging = HangingServer.Start();
        var client = new LifelineClient(TestOptions.For(hanging.Uri));
        await client.StartAsync(CancellationToken.None);
        await hanging.FirstAccept.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(ClientState.Connecting, client.State);

        using var cts = new CancellationTokenSource();
        var report = await client.StopAsync(cts.Token).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(ClientState.Connecting, report.StateAtStop);
        Assert.Contains(report.Abandoned, a => a.StartsWith("connect attempt 1", StringComparison.Ordinal));
        Assert.Equal(ClientState.Stopped, client.State);
    }

    [Fact]
    public async Task StopAsync_MidBackoff_ReturnsWithoutWaitingOutTheDelay()
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = 503;
        var client = new LifelineClient(TestOptions.For(server.GetUri(), out var time));
        var events = await EventRecorder.StartAsync(client);
        var reconnecting = await events.ReconnectingAsync();
        Assert.Equal(TimeSpan.FromSeconds(1), reconnecting.Delay);

        var report = await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(ClientState.Reconnecting, report.StateAtStop);
        Assert.Contains("backoff wait before reconnect attempt 1", report.Abandoned);
        Assert.Equal(0, time.ActiveTimerCount); // the backoff timer is gone, without advancing the clock
    }

    [Fact]
    public async Task StopAsync_MidSendOnAStalledSocket_HonoursItsToken_AndReportsTheAbandonedSend()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        var proxyTime = new ManualTimeProvider();
        await using var proxy = await FaultProxy.StartAsync(server.EndPoint, new FaultProxyOptions { TimeProvider = proxyTime });
        var options = TestOptions.For(proxy.GetUri("ws", "/ws"));
        options.MaxMessageBytes = 64 * 1024 * 1024;
        var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        // The proxy holds the first chunk forever (on a clock nobody advances) and stops reading: TCP fills up and the
        // client's write of a 32 MiB message stalls mid-send.
        proxy.SetLatency(Direction.Upstream, TimeSpan.FromHours(1));
        var send = client.SendAsync(new byte[32 * 1024 * 1024], CancellationToken.None).AsTask();
        await proxyTime.WaitForTimersAsync(1).OrTimeout(TimeSpan.FromSeconds(30));

        using var deadline = new CancellationTokenSource();
        var stopping = client.StopAsync(deadline.Token);
        await deadline.CancelAsync();
        var report = await stopping.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.True(report.DeadlineReached, report.ToString());
        Assert.False(report.ClosedGracefully);
        Assert.Equal(1, report.AbandonedSends);
        Assert.Contains(report.Abandoned, a => a.Contains("socket stalled", StringComparison.Ordinal));
        var result = await send.OrTimeout();
        Assert.Equal(SendStatus.Failed, result.Status);
        Assert.Equal(1, client.GetSnapshot().SendsFailed);
    }

    [Fact]
    public async Task StopAsync_WithACancelledToken_AbortsAtOnce_AndStillEndsEverything()
    {
        await using var server = await TestServer.StartAsync();
        var client = new LifelineClient(TestOptions.For(server.GetUri()));
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        var report = await client.StopAsync(new CancellationToken(canceled: true)).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.True(report.DeadlineReached);
        Assert.Contains("close handshake of connection 1", report.Abandoned);
        Assert.Equal(ClientState.Stopped, client.State);
    }

    [Fact]
    public async Task StopAsync_WithBufferedSends_FailsThem_AndCountsThem()
    {
        await using var hanging = HangingServer.Start();
        var client = new LifelineClient(TestOptions.For(hanging.Uri));
        await client.StartAsync(CancellationToken.None);
        var sends = Enumerable.Range(0, 3).Select(i => client.SendAsync($"m{i}", CancellationToken.None).AsTask()).ToArray();

        var report = await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(3, report.AbandonedSends);
        Assert.All(await Task.WhenAll(sends).OrTimeout(), r => Assert.Equal(new SendResult(SendStatus.Failed, "client stopped"), r));
        Assert.Equal(3, client.GetSnapshot().SendsFailed);
        var late = await client.SendAsync("late", CancellationToken.None).OrTimeout();
        Assert.Equal(SendStatus.Failed, late.Status);
    }
}
