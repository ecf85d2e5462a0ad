using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Lifeline.Client.Tests.Infrastructure;

/// <summary>The server side of one accepted WebSocket connection of a <see cref="TestServer"/>.</summary>
internal sealed class ServerConnection
{
    private readonly TestServer _server;
    private readonly WebSocket _socket;
    private readonly HttpContext _context;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();

    public ServerConnection(TestServer server, WebSocket socket, HttpContext context, int number)
    {
        _server = server;
        _socket = socket;
        _context = context;
        Number = number;
        Query = context.Request.QueryString.Value ?? string.Empty;
        Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        SubProtocol = socket.SubProtocol;
    }

    /// <summary>1 for the first connection the server accepted, and so on.</summary>
    public int Number { get; }

    public string Query { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public string? SubProtocol { get; }

    /// <summary>Text messages received from the client, in order.</summary>
    public ChannelReader<string> Received => _received.Reader;

    /// <summary>The close status the client sent, once its close frame arrived.</summary>
    public WebSocketCloseStatus? ClientCloseStatus { get; private set; }

    /// <summary>Completes when the server's handler for this connection has ended.</summary>
    public Task Completion => _completion.Task;

    public async Task SendAsync(string text)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, _context.RequestAborted);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends <paramref name="count"/> messages "prefix-0", "prefix-1", ...</summary>
    public async Task SendManyAsync(int count, string prefix = "m")
    {
        for (var i = 0; i < count; i++)
        {
            await SendAsync($"{prefix}-{i}");
        }
    }

    /// <summary>Sends a close frame with this code; the handler ends once the client answers (or the connection dies).</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string? description = null)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.CloseOutputAsync(status, description, _context.RequestAborted);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Already gone.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Abort()
    {
        try
        {
            _context.Abort();
        }
        catch (ObjectDisposedException)
        {
            // The handler has just ended and Kestrel released the request.
        }
    }

    internal async Task RunAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), _context.RequestAborted);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClientCloseStatus = _socket.CloseStatus;
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await CloseAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure);
                    }

                    return;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, count);
                _received.Writer.TryWrite(text);
                if (_server.Echo)
                {
                    await SendAsync(text);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ConnectionAbortedException)
        {
            // The connection was cut or aborted; the handler ends.
        }
    }

    internal void Ended()
    {
        _received.Writer.TryComplete();
        _completion.TrySetResult();
    }
}
