using System.Net.WebSockets;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Client.Tests;

/// <summary>Errors that mean "don't retry" (docs/protocol.md) stop reconnecting with the reason surfaced; the rest retry.</summary>
public class FatalErrorTests
{
    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task HandshakeRejectedForAuth_StopsReconnecting_WithTheStatus(int status)
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = status;
        await using var client = new LifelineClient(TestOptions.For(server.GetUri()));
        var events = await EventRecorder.StartAsync(client);

        var fault = await Assert.ThrowsAsync<ClientFaultedException>(() => client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30)));

        Assert.Equal(status, fault.HttpStatusCode);
        Assert.Contains($"HTTP {status}", fault.Message, StringComparison.Ordinal);
        Assert.Equal(ClientState.Faulted, client.State);
        Assert.Equal(1, server.TotalHandshakes);
        Assert.Equal(0, events.Count<ReconnectingEventArgs>());
        var error = await events.NextAsync<ClientErrorEventArgs>();
        Assert.Equal(ErrorCategory.Connection, error.Category); // the failed attempt, then the fault itself
        Assert.Same(fault, (await events.NextAsync<ClientErrorEventArgs>()).Exception);
    }

    [Theory]
    [InlineData(1008)]
    [InlineData(4400)]
    [InlineData(4401)]
    [InlineData(4403)]
    [InlineData(4499)]
    public async Task FatalCloseCode_StopsReconnecting_WithTheCode(int code)
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.CloseAsync((WebSocketCloseStatus)code, "no");
        await using var client = new LifelineClient(TestOptions.For(server.GetUri()));
        var events = await EventRecorder.StartAsync(client);

        var disconnected = await events.DisconnectedAsync();
        Assert.Equal(ClientState.Faulted, client.State);
        await Assert.ThrowsAsync<ClientFaultedException>(() => client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30)));

        Assert.Equal(DisconnectReason.ByServer, disconnected.Reason);
        Assert.Equal((WebSocketCloseStatus)code, disconnected.CloseStatus);
        Assert.False(disconnected.WillReconnect);
        Assert.Equal((WebSocketCloseStatus)code, client.Fault!.CloseStatus);
        Assert.Equal("no", client.Fault.CloseDescription);
        Assert.Equal(ClientState.Faulted, client.State);
        Assert.Equal(0, events.Count<ReconnectingEventArgs>());
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1011)]
    [InlineData(4008)]
    [InlineData(4029)]
    [InlineData(4500)]
    public async Task OtherCloseCodes_Retry(int code)
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.Number == 1 ? c.CloseAsync((WebSocketCloseStatus)code, null) : Task.CompletedTask;
        await using var client = new LifelineClient(TestOptions.For(server.GetUri(), out var time));
        var events = await EventRecorder.StartAsync(client);

        var disconnected = await events.DisconnectedAsync();
        time.Advance((await events.ReconnectingAsync()).Delay);
        var connected = await events.ConnectedAsync();
        if (connected.Epoch == 1)
        {
            connected = await events.ConnectedAsync(); // the first connection may have come up before the close arrived
        }

        Assert.True(disconnected.WillReconnect);
        Assert.Equal((WebSocketCloseStatus)code, disconnected.CloseStatus);
        Assert.Equal(2, connected.Epoch);
    }

    [Fact]
    public async Task IsFatalClose_AddsARule()
    {
        await using var server = await TestServer.StartAsync();
        server.OnAccepted = c => c.CloseAsync((WebSocketCloseStatus)4001, "banned");
        var options = TestOptions.For(server.GetUri());
        options.IsFatalClose = (status, description) => (int?)status == 4001 && description == "banned";
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);

        var disconnected = await events.DisconnectedAsync();

        Assert.False(disconnected.WillReconnect);
        Assert.Equal(ClientState.Faulted, client.State);
        Assert.Equal((WebSocketCloseStatus)4001, client.Fault!.CloseStatus);
    }
}
