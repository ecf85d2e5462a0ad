using System.Net.WebSockets;
using System.Text;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;

namespace Lifeline.Testing.Tests.Faults;

public class FaultProxyWebSocketTests
{
    [Theory]
    [InlineData(CutMode.Reset)]
    [InlineData(CutMode.Close)]
    public async Task ClientWebSocket_ThroughProxy_EchoesThenSeesTheCut(CutMode mode)
    {
        await using var server = await WebSocketEchoServer.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(server.EndPoint);
        using var client = new ClientWebSocket();

        await client.ConnectAsync(proxy.GetUri("ws", "/echo"), CancellationToken.None).OrTimeout();
        await client.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, CancellationToken.None).OrTimeout();
        var buffer = new byte[64];
        var echo = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).OrTimeout();
        Assert.Equal("hello", Encoding.UTF8.GetString(buffer, 0, echo.Count));

        var receive = client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask();
        await proxy.CutAllAsync(mode).OrTimeout();

        // Either way the connection ends without a close handshake: a WebSocket sees that as an error.
        var error = await Assert.ThrowsAsync<WebSocketException>(() => receive.OrTimeout());
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, error.WebSocketErrorCode);
        Assert.Equal(WebSocketState.Aborted, client.State);
    }

    [Fact]
    public async Task ClientWebSocket_HalfOpenDownstream_GetsNoEchoUntilHealed()
    {
        await using var server = await WebSocketEchoServer.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(server.EndPoint);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(proxy.GetUri("ws", "/echo"), CancellationToken.None).OrTimeout();

        proxy.SetHalfOpen(Direction.Downstream);
        var lost = Encoding.UTF8.GetBytes("lost");
        await client.SendAsync(lost, WebSocketMessageType.Binary, true, CancellationToken.None).OrTimeout();

        // The echo frame (2-byte header + payload) reached the proxy and was dropped.
        await proxy.WaitForDroppedBytesAsync(2 + lost.Length).OrTimeout();
        Assert.Equal(WebSocketState.Open, client.State);

        proxy.Heal();
        await client.SendAsync(Encoding.UTF8.GetBytes("kept"), WebSocketMessageType.Binary, true, CancellationToken.None).OrTimeout();
        var buffer = new byte[64];
        var echo = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).OrTimeout();
        Assert.Equal("kept", Encoding.UTF8.GetString(buffer, 0, echo.Count));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).OrTimeout();
    }
}
