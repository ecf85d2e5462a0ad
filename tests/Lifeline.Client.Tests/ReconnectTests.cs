using System.Net.WebSockets;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Client.Tests;

/// <summary>Reconnect on loss and on a failed first connect, on a ManualTimeProvider: no test sleeps.</summary>
public class ReconnectTests
{
    [Fact]
    public async Task ServerClose_Reconnects_AfterTheBackoffDelay()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new LifelineClient(TestOptions.For(server.GetUri(), out var time));
        var events = await EventRecorder.StartAsync(client);
        var first = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));
        await events.ConnectedAsync();

        await first.CloseAsync(WebSocketCloseStatus.InternalServerError, "oops");
        var disconnected = await events.DisconnectedAsync();
        var reconnecting = await events.ReconnectingAsync();

        Assert.Equal(DisconnectReason.ByServer, disconnected.Reason);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, disconnected.CloseStatus);
        Assert.Equal("oops", disconnected.CloseDescription);
        Assert.True(disconnected.WillReconnect);
        Assert.Equal(1, reconnecting.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(1), reconnecting.Delay);
        Assert.Equal(ClientState.Reconnecting, client.State);
        await first.Completion.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.InternalServerError, first.ClientCloseStatus); // the client answered the close

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(TimeSpan.FromMilliseconds(1), time.NextDueIn); // not yet
        time.Advance(TimeSpan.FromMilliseconds(1));
        var connected = await events.ConnectedAsync();

        Assert.Equal(2, connected.Epoch);
        Assert.True(connected.IsReconnect);
        await server.WaitForTotalConnectionsAsync(2).OrTimeout();
        Assert.Equal(1, client.GetSnapshot().Reconnects);
    }

    [Fact]
    public async Task FailedFirstConnect_IsRetried_LikeALostConnection()
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = 503;
        await using var client = new LifelineClient(TestOptions.For(server.GetUri(), out var time));
        var events = await EventRecorder.StartAsync(client);

        var reconnecting = await events.ReconnectingAsync();
        var error = await events.NextAsync<ClientErrorEventArgs>();
        server.RejectStatus = 0;
        time.Advance(reconnecting.Delay);
        var connected = await events.ConnectedAsync();

        Assert.Equal(ErrorCategory.Connection, error.Category);
        Assert.Contains("HTTP 503", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(1, connected.Epoch);
        Assert.Equal(2, connected.Attempts);
    }

    [Theory]
    [InlineData(1.0, new[] { 1000, 2000, 4000, 5000, 5000 })]
    [InlineData(0.5, new[] { 500, 1000, 2000, 2500, 2500 })]
    [InlineData(0.0, new[] { 0, 0, 0, 0, 0 })]
    public async Task Backoff_IsExponential_Capped_AndScaledByJitter(double jitter, int[] expectedMilliseconds)
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = 503;
        var options = TestOptions.For(server.GetUri(), out var time);
        options.Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5), Jitter = () => jitter };
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);

        var delays = new List<int>();
        for (var i = 0; i < expectedMilliseconds.Length; i++)
        {
            var reconnecting = await events.ReconnectingAsync();
            Assert.Equal(i + 1, reconnecting.Attempt);
            delays.Add((int)reconnecting.Delay.TotalMilliseconds);
            time.Advance(reconnecting.Delay);
        }

        Assert.Equal(expectedMilliseconds, delays);
    }

    [Fact]
    public async Task Backoff_WithRealJitter_StaysWithinTheCeilingOfEachAttempt()
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = 503;
        var options = TestOptions.For(server.GetUri(), out var time);
        options.Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(8) };
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);

        for (var attempt = 1; attempt <= 6; attempt++)
        {
            var reconnecting = await events.ReconnectingAsync();
            var ceiling = TimeSpan.FromSeconds(Math.Min(8, Math.Pow(2, attempt - 1)));
            Assert.InRange(reconnecting.Delay, TimeSpan.Zero, ceiling);
            time.Advance(reconnecting.Delay);
        }
    }

    [Fact]
    public async Task MaxAttempts_WhenExhausted_FaultsWithTheReason()
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = 503;
        var options = TestOptions.For(server.GetUri(), out var time);
        options.Reconnect.MaxAttempts = 2;
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        var waiting = client.WaitUntilConnectedAsync(CancellationToken.None);

        time.Advance((await events.ReconnectingAsync()).Delay);
        time.Advance((await events.ReconnectingAsync()).Delay);
        var fault = await Assert.ThrowsAsync<ClientFaultedException>(() => waiting.OrTimeout(TimeSpan.FromSeconds(30)));

        Assert.Equal("Gave up after 2 reconnect attempts.", fault.Message);
        Assert.Equal(ClientState.Faulted, client.State);
        Assert.Same(fault, client.Fault);
        Assert.Equal(3, server.TotalHandshakes);
        Assert.Equal(2, events.Count<ReconnectingEventArgs>());
    }

    [Fact]
    public async Task Policy_ChoosesTheDelay_AndNullStopsReconnecting()
    {
        await using var server = await TestServer.StartAsync();
        var options = TestOptions.For(server.GetUri(), out var time);
        var contexts = new List<ReconnectContext>();
        options.Reconnect.Policy = context =>
        {
            contexts.Add(context);
            return context.Attempt == 1 ? TimeSpan.FromSeconds(7) : null;
        };
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        var first = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));
        await events.ConnectedAsync();

        await first.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "{\"resumeAfter\":1042,\"retryAfterMs\":1350}");
        var reconnecting = await events.ReconnectingAsync();
        Assert.Equal(TimeSpan.FromSeconds(7), reconnecting.Delay);
        server.RejectStatus = 503;
        time.Advance(TimeSpan.FromSeconds(7));
        await Assert.ThrowsAsync<ClientFaultedException>(() => client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30)));

        Assert.Equal("The reconnect policy stopped reconnecting at attempt 2.", client.Fault!.Message);
        Assert.Equal(DisconnectReason.ByServer, contexts[0].Reason);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, contexts[0].CloseStatus);
        Assert.Contains("retryAfterMs", contexts[0].CloseDescription, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), contexts[0].DefaultDelay);
        Assert.Null(contexts[1].Reason); // a failed connect attempt, not a lost connection
        Assert.IsType<WebSocketException>(contexts[1].Exception);
    }

    [Fact]
    public async Task ReconnectNow_DuringTheWait_ConnectsAtOnce_AndResetsTheBackoff()
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = 503;
        await using var client = new LifelineClient(TestOptions.For(server.GetUri(), out var time));
        var events = await EventRecorder.StartAsync(client);
        time.Advance((await events.ReconnectingAsync()).Delay);
        var second = await events.ReconnectingAsync();
        Assert.Equal(TimeSpan.FromSeconds(2), second.Delay);

        // A burst of manual reconnects and starts while one wait is scheduled: still exactly one attempt.
        for (var i = 0; i < 5; i++)
        {
            client.ReconnectNow();
            await client.StartAsync(CancellationToken.None);
        }

        var third = await events.ReconnectingAsync();

        Assert.Equal(1, third.Attempt);                          // backoff reset
        Assert.Equal(TimeSpan.FromSeconds(1), third.Delay);
        Assert.Equal(3, server.TotalHandshakes);                 // 1 + 1 after the first wait + 1 after ReconnectNow
        Assert.Equal(TimeSpan.FromSeconds(1), time.NextDueIn);   // one wait pending, not a second
    }

    [Fact]
    public async Task ReconnectNow_WhileConnected_DoesNothing()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new LifelineClient(TestOptions.For(server.GetUri()));
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        var serverSide = await server.NextConnectionAsync().OrTimeout();

        client.ReconnectNow();
        await client.SendAsync("still here", CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal("still here", await serverSide.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, server.TotalConnections);
        Assert.Equal(ClientState.Connected, client.State);
    }

    [Fact]
    public async Task ConnectTimeout_BoundsAHandshakeThatHangs()
    {
        await using var hanging = HangingServer.Start();
        var options = TestOptions.For(hanging.Uri, out var time);
        options.ConnectTimeout = TimeSpan.FromSeconds(5);
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        await hanging.FirstAccept.OrTimeout(TimeSpan.FromSeconds(30));
        await time.WaitForTimersAsync(1).OrTimeout();

        time.Advance(TimeSpan.FromSeconds(5));
        var reconnecting = await events.ReconnectingAsync();
        var error = await events.NextAsync<ClientErrorEventArgs>();

        var timeout = Assert.IsType<TimeoutException>(reconnecting.Exception);
        Assert.Contains("timed out after 00:00:05", timeout.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.Connection, error.Category);
        Assert.Equal(1, hanging.Accepted);
    }
}
