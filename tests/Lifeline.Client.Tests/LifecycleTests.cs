using System.Net.WebSockets;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;

namespace Lifeline.Client.Tests;

public class LifecycleTests
{
    [Fact]
    public async Task StartAsync_ReturnsAtOnce_AndConnectsInTheBackground()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new LifelineClient(TestOptions.For(server.GetUri()));
        var events = await EventRecorder.StartAsync(client);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(ClientState.Connected, client.State);
        var connected = await events.ConnectedAsync();
        Assert.Equal(1, connected.Epoch);
        Assert.Equal(1, connected.Attempts);
        Assert.False(connected.IsReconnect);
    }

    [Fact]
    public async Task StopAsync_WhenConnected_ClosesGracefully_AndEndsEverything()
    {
        await using var server = await TestServer.StartAsync();
        var client = new LifelineClient(TestOptions.For(server.GetUri()));
        var events = await EventRecorder.StartAsync(client);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        var serverSide = await server.NextConnectionAsync().OrTimeout();

        var report = await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(ClientState.Connected, report.StateAtStop);
        Assert.True(report.ClosedGracefully, report.ToString());
        Assert.False(report.DeadlineReached);
        Assert.Empty(report.Abandoned);
        Assert.Equal(ClientState.Stopped, client.State);
        await serverSide.Completion.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, serverSide.ClientCloseStatus);
        var disconnected = await events.DisconnectedAsync();
        Assert.Equal(DisconnectReason.ByUser, disconnected.Reason);
        Assert.False(disconnected.WillReconnect);

        // The leak verifier checks after the test that no task, timer or socket of the client is left.
    }

    [Fact]
    public async Task StopAsync_IsIdempotent_AndSafeToCallConcurrently()
    {
        await using var server = await TestServer.StartAsync();
        var client = new LifelineClient(TestOptions.For(server.GetUri()));
        var events = await EventRecorder.StartAsync(client);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        var stops = Enumerable.Range(0, 8).Select(_ => Task.Run(() => client.StopAsync(CancellationToken.None))).ToArray();
        var reports = await Task.WhenAll(stops).OrTimeout(TimeSpan.FromSeconds(30));
        var again = await client.StopAsync(CancellationToken.None).OrTimeout();
        await client.DisposeAsync().OrTimeout();

        Assert.All(reports, r => Assert.Same(reports[0], r));
        Assert.Same(reports[0], again);
        Assert.Equal(1, events.Count<DisconnectedEventArgs>());
    }

    [Fact]
    public async Task StopAsync_BeforeStart_Completes_AndStartAfterStopThrows()
    {
        var client = new LifelineClient(TestOptions.For(new Uri("ws://127.0.0.1:9/never")));

        var report = await client.StopAsync(CancellationToken.None).OrTimeout();

        Assert.Equal(ClientState.Stopped, report.StateAtStop);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.StartAsync(CancellationToken.None));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout());
    }

    [Fact]
    public async Task StopAsync_FromInsideAnEventHandler_DoesNotDeadlock()
    {
        await using var server = await TestServer.StartAsync();
        var client = new LifelineClient(TestOptions.For(server.GetUri()));
        var stoppedInHandler = new TaskCompletionSource<StopReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connected += async (_, _) =>
        {
            // A handler awaiting StopAsync: it runs on the dispatch loop, not on a loop StopAsync waits for.
            stoppedInHandler.TrySetResult(await client.StopAsync(CancellationToken.None));
        };

        await client.StartAsync(CancellationToken.None);
        var report = await stoppedInHandler.Task.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(ClientState.Stopped, client.State);
        Assert.True(report.ClosedGracefully, report.ToString());
        await client.DisposeAsync().OrTimeout(); // from outside: also awaits the dispatch loop the handler ran on
    }

    [Fact]
    public async Task StopAsync_FromASynchronousHandlerThatBlocksOnIt_DoesNotDeadlock()
    {
        await using var server = await TestServer.StartAsync();
        var client = new LifelineClient(TestOptions.For(server.GetUri()));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connected += (_, _) =>
        {
            // The worst case: a handler that blocks its thread until the stop has finished.
            client.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            done.TrySetResult();
        };

        await client.StartAsync(CancellationToken.None);
        await done.Task.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(ClientState.Stopped, client.State);
        await client.DisposeAsync().OrTimeout();
    }

    [Fact]
    public async Task UriProviderAndConfigureWebSocket_AreUsedForEveryAttempt()
    {
        await using var server = await TestServer.StartAsync();
        var calls = 0;
        var options = TestOptions.For(server.GetUri());
        options.Uri = null;
        options.UriProvider = () => server.GetUri($"/ws?after={Interlocked.Increment(ref calls)}");
        options.ConfigureWebSocket = o =>
        {
            o.SetRequestHeader("Authorization", "Bearer k1");
            o.AddSubProtocol("lifeline.v1");
        };
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        var first = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));
        await events.ConnectedAsync();

        await first.CloseAsync(WebSocketCloseStatus.InternalServerError);
        await events.ReconnectingAsync();
        ((Lifeline.Testing.Time.ManualTimeProvider)options.TimeProvider).Advance(TimeSpan.FromSeconds(1));
        var second = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal("?after=1", first.Query);
        Assert.Equal("?after=2", second.Query);
        Assert.Equal("Bearer k1", second.Headers["Authorization"]);
        Assert.Equal("lifeline.v1", second.SubProtocol);
    }

    [Fact]
    public async Task StopAsync_FromInsideOnConnected_DoesNotDeadlock()
    {
        await using var server = await TestServer.StartAsync();
        var options = TestOptions.For(server.GetUri());
        var requested = new TaskCompletionSource<StopReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        options.OnConnected = async (client, ct) => requested.TrySetResult(await client.StopAsync(CancellationToken.None));
        var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);

        var inHook = await requested.Task.OrTimeout(TimeSpan.FromSeconds(30));
        var report = await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Contains("stop requested from OnConnected: it completes after the hook returns", inHook.Abandoned);
        Assert.Equal(ClientState.Stopped, client.State);
        Assert.True(report.ClosedGracefully, report.ToString());
        Assert.Equal(0, events.Count<ConnectedEventArgs>()); // the connection never became Connected
    }
}
