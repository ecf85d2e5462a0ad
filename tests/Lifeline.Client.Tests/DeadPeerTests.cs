using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Client.Tests;

/// <summary>Dead-peer detection through the fault proxy: a half-open connection is detected and replaced.</summary>
public class DeadPeerTests
{
    [Fact]
    public async Task HalfOpenConnection_IsDetectedByTheInactivityTimeout_AndReplaced()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        await using var proxy = await FaultProxy.StartAsync(server.EndPoint);
        var options = TestOptions.For(proxy.GetUri("ws", "/ws"), out var time);
        options.InactivityTimeout = TimeSpan.FromSeconds(10);
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        await events.ConnectedAsync();
        Assert.Equal(TimeSpan.FromSeconds(10), time.NextDueIn);

        proxy.SetHalfOpen(Direction.Both);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(TimeSpan.FromSeconds(1), time.NextDueIn);   // not detected before the timeout
        time.Advance(TimeSpan.FromSeconds(1));
        var disconnected = await events.DisconnectedAsync();
        var reconnecting = await events.ReconnectingAsync();
        proxy.Heal();
        time.Advance(reconnecting.Delay);
        var connected = await events.ConnectedAsync();

        Assert.Equal(DisconnectReason.HeartbeatTimeout, disconnected.Reason);
        Assert.IsType<TimeoutException>(disconnected.Exception);
        Assert.True(disconnected.WillReconnect);
        Assert.Equal(2, connected.Epoch);
        await proxy.WaitForTotalConnectionsAsync(2).OrTimeout();
    }

    [Fact]
    public async Task Messages_PostponeTheInactivityTimeout()
    {
        await using var server = await TestServer.StartAsync();
        var options = TestOptions.For(server.GetUri(), out var time);
        options.InactivityTimeout = TimeSpan.FromSeconds(10);
        await using var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        var serverSide = await server.NextConnectionAsync().OrTimeout();
        await using var messages = client.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();

        time.Advance(TimeSpan.FromSeconds(6));
        await serverSide.SendAsync("alive");
        Assert.True(await messages.MoveNextAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        time.Advance(TimeSpan.FromSeconds(4));                   // the watchdog wakes at 10 s, sees 4 s of silence
        await time.WaitForTimersAsync(1).OrTimeout();

        Assert.Equal(TimeSpan.FromSeconds(6), time.NextDueIn);   // and waits for the rest, from the last message
        Assert.Equal(ClientState.Connected, client.State);
    }

    [Fact]
    public async Task HalfOpenConnection_IsDetectedByKeepAlivePings_AndReplaced()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        await using var proxy = await FaultProxy.StartAsync(server.EndPoint);
        var options = TestOptions.For(proxy.GetUri("ws", "/ws"), out var time);
        options.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
        options.KeepAliveTimeout = TimeSpan.FromMilliseconds(400);
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        await events.ConnectedAsync();

        // Pongs no longer arrive. The runtime's keep-alive (real time, not the TimeProvider) aborts the socket
        // once a pong is KeepAliveTimeout late; the test waits for that event, it does not sleep.
        proxy.SetHalfOpen(Direction.Downstream);
        var disconnected = await events.DisconnectedAsync();
        var reconnecting = await events.ReconnectingAsync();
        proxy.Heal();
        time.Advance(reconnecting.Delay);
        var connected = await events.ConnectedAsync();

        Assert.Equal(DisconnectReason.HeartbeatTimeout, disconnected.Reason);
        Assert.Equal(2, connected.Epoch);
    }
}
