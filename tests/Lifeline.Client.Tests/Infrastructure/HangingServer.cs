using System.Net;
using System.Net.Sockets;

namespace Lifeline.Client.Tests.Infrastructure;

/// <summary>A raw TCP listener on 127.0.0.1:0 that accepts connections and never answers: a handshake that hangs.</summary>
internal sealed class HangingServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAccept = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _acceptLoop = Task.CompletedTask;
    private int _acceptedCount;

    public Uri Uri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/ws");

    public int Accepted => Volatile.Read(ref _acceptedCount);

    /// <summary>Completes when the first connection has been accepted (the client is mid-handshake).</summary>
    public Task FirstAccept => _firstAccept.Task;

    public static HangingServer Start()
    {
        var server = new HangingServer();
        server._listener.Start();
        server._acceptLoop = server.AcceptLoopAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }

                Interlocked.Increment(ref _acceptedCount);
                _firstAccept.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}
