using System.Net.WebSockets;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Infrastructure;

/// <summary>A raw <see cref="ClientWebSocket"/> on <c>/v1/stream</c> that parses messages with the protocol codec.</summary>
internal sealed class TestSubscriber(ClientWebSocket socket) : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[4 << 20];

    public ClientWebSocket Socket { get; } = socket;

    /// <summary>Every entry received so far, in order.</summary>
    public List<LogEntry> Entries { get; } = [];

    /// <summary>Every message received so far, in order.</summary>
    public List<StreamMessage> Messages { get; } = [];

    /// <summary>Receives the next message; <see langword="null"/> when the hub closed the socket.</summary>
    public async Task<StreamMessage?> ReceiveAsync()
    {
        if (await WebSocketMessages.ReceiveAsync(Socket, _buffer) is not { } length)
        {
            return null;
        }

        var message = StreamMessageJson.Parse(_buffer.AsSpan(0, length));
        Messages.Add(message);
        if (message is EntriesMessage e)
        {
            Entries.AddRange(e.Entries);
        }

        return message;
    }

    /// <summary>Receives until a message of type <typeparamref name="T"/> arrives.</summary>
    public async Task<T> ReceiveUntilAsync<T>()
        where T : StreamMessage
    {
        while (true)
        {
            var m = await ReceiveAsync() ?? throw new InvalidOperationException($"closed before {typeof(T).Name}: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
            if (m is T t)
            {
                return t;
            }
        }
    }

    /// <summary>Receives until <see cref="Entries"/> holds at least <paramref name="count"/> entries.</summary>
    public async Task ReceiveEntriesAsync(int count)
    {
        while (Entries.Count < count)
        {
            if (await ReceiveAsync() is null)
            {
                throw new InvalidOperationException($"closed after {Entries.Count} of {count} entries: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
            }
        }
    }

    /// <summary>Receives until the hub closes; returns the close status and description.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAsync()
    {
        while (await ReceiveAsync() is not null)
        {
        }

        return (Socket.CloseStatus, Socket.CloseStatusDescription);
    }

    public async Task CloseAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (WebSocketException)
        {
        }

        Socket.Dispose();
    }
}
