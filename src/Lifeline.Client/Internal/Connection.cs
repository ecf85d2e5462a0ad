using System.Net.WebSockets;

namespace Lifeline.Client.Internal;

/// <summary>
/// One WebSocket connection and the loops that serve it. Owned by the supervisor: it starts the loops, and it alone
/// tears the connection down and awaits every loop before the next connection exists, so two connections never overlap.
/// </summary>
internal sealed class Connection : IDisposable
{
    private long _lastReceivedTimestamp;

    public Connection(ClientWebSocket socket, long epoch, Uri uri, long connectedTimestamp, CancellationToken stopToken)
    {
        Socket = socket;
        Epoch = epoch;
        Uri = uri;
        _lastReceivedTimestamp = connectedTimestamp;
        Cts = CancellationTokenSource.CreateLinkedTokenSource(stopToken);
    }

    public ClientWebSocket Socket { get; }

    public long Epoch { get; }

    public Uri Uri { get; }

    /// <summary>Cancelled when this connection ends or the client stops: ends the waits of its loops and of OnConnected.
    /// Socket reads and writes never take it (cancelling those aborts the socket); <see cref="Abort"/> ends them.</summary>
    public CancellationTokenSource Cts { get; }

    /// <summary>Serializes writes: the send pump, sends from OnConnected, and the close frame.</summary>
    public SemaphoreSlim SendLock { get; } = new(1, 1);

    public Task ReceiveLoop { get; set; } = Task.CompletedTask;

    public Task SendPump { get; set; } = Task.CompletedTask;

    public Task Watchdog { get; set; } = Task.CompletedTask;

    public long LastReceivedTimestamp
    {
        get => Volatile.Read(ref _lastReceivedTimestamp);
        set => Volatile.Write(ref _lastReceivedTimestamp, value);
    }

    public void CancelLoops()
    {
        try
        {
            Cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed only after every loop has ended; a late caller has nothing left to cancel.
        }
    }

    public void Abort()
    {
        CancelLoops();
        Socket.Abort();
    }

    public void Dispose()
    {
        Socket.Dispose();
        Cts.Dispose();
        SendLock.Dispose();
    }
}
