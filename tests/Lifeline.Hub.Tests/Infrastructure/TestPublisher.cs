using System.Net.WebSockets;
using System.Text;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Infrastructure;

/// <summary>A raw <see cref="ClientWebSocket"/> on <c>/v1/ingest</c>.</summary>
internal sealed class TestPublisher(ClientWebSocket socket) : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[1 << 20];

    public ClientWebSocket Socket { get; } = socket;

    public static async Task<TestPublisher> ConnectAsync(HubHost hub, string query = "", string? key = null)
    {
        var socket = new ClientWebSocket();
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + key);
        }

        await socket.ConnectAsync(hub.WsUri("v1/ingest" + (query.Length > 0 ? "?" + query : "")), CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        return new TestPublisher(socket);
    }

    public Task PublishAsync(string @ref, params LogEntry[] entries) => SendTextAsync(IngestMessageJson.Serialize(new PublishMessage(@ref, entries)));

    public Task SendTextAsync(string text) => SendTextAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendTextAsync(byte[] bytes) =>
        await Socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

    /// <summary>The next ack or error; <see langword="null"/> when the hub closed.</summary>
    public async Task<IngestMessage?> ReceiveAsync()
    {
        return await WebSocketMessages.ReceiveAsync(Socket, _buffer) is { } length ? IngestMessageJson.Parse(_buffer.AsSpan(0, length)) : null;
    }

    public async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAsync()
    {
        while (await ReceiveAsync() is not null)
        {
        }

        return (Socket.CloseStatus, Socket.CloseStatusDescription);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
            }
        }
        catch (WebSocketException)
        {
        }

        Socket.Dispose();
    }
}
