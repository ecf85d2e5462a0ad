using System.Net;
using System.Net.Sockets;

namespace Lifeline.Testing.Faults;

/// <summary>
/// One proxied connection: a client socket, an upstream socket and two pumps, run by one tracked task
/// (<see cref="Completion"/>). Thread-safe: <see cref="Abort"/> may race with the pumps; it wins once.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns and disposes the sockets and the CTS when the connection ends.")]
internal sealed class ProxyConnection
{
    private readonly Lock _abortGate = new();
    private readonly FaultProxy _proxy;
    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly EndPoint _upstreamEndPoint;
    private readonly EndPoint? _clientEndPoint;
    private readonly CancellationTokenSource _cts = new();
    private bool _aborted;

    public ProxyConnection(FaultProxy proxy, Socket client, EndPoint upstream)
    {
        _proxy = proxy;
        _client = client;
        _clientEndPoint = client.RemoteEndPoint;
        _upstreamEndPoint = upstream;

        // Created here, not in RunAsync, so that Abort can always close it.
        // A DnsEndPoint has no address family: a dual-mode socket can reach whichever address it resolves to.
        _upstream = upstream.AddressFamily == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.NoDelay = true;
    }

    /// <summary>Ends when both pumps have ended and both sockets are closed. Set by <see cref="Start"/>.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Closes <paramref name="socket"/> abortively: its peer sees a connection reset.</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by us: there is nothing left to reset.
        }

        socket.Dispose();
    }

    /// <summary>Starts the connection's task. Called once, under the proxy's lock (hence Task.Run: no pump code runs under it).</summary>
    public void Start() => Completion = Task.Run(RunAsync, CancellationToken.None);

    /// <summary>Ends the connection on both sides; the pumps then end. Only the first call has an effect.</summary>
    public void Abort(CutMode mode)
    {
        // Under a lock so that RunAsync's cleanup never disposes the CTS while an abort is cancelling it.
        lock (_abortGate)
        {
            if (_aborted)
            {
                return;
            }

            // Sockets first, cancellation last: a pump continuing inline on the cancel must find the sockets
            // already reset, or its cleanup would close them gracefully and the peer would see FIN, not RST.
            _aborted = true;
            if (mode == CutMode.Reset)
            {
                Reset(_client);
                Reset(_upstream);
            }
            else
            {
                Close(_client);
                Close(_upstream);
            }

            _cts.Cancel();
        }
    }

    private bool IsAborted
    {
        get
        {
            lock (_abortGate)
            {
                return _aborted;
            }
        }
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Not connected (yet or any more): disposing below is all that is left to do.
        }

        socket.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            try
            {
                await _upstream.ConnectAsync(_upstreamEndPoint, _cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Upstream down (the client sees a reset, as from a dead server) or the connection was cut while connecting.
                if (!IsAborted)
                {
                    FaultProxy.Log.UpstreamUnreachable(_proxy.Logger, _clientEndPoint, _upstreamEndPoint, ex);
                }

                Abort(CutMode.Reset);
                return;
            }

            FaultProxy.Log.Forwarding(_proxy.Logger, _clientEndPoint, _upstreamEndPoint);
            await Task.WhenAll(
                PumpAsync(_client, _upstream, Direction.Upstream),
                PumpAsync(_upstream, _client, Direction.Downstream)).ConfigureAwait(false);
        }
        finally
        {
            lock (_abortGate)
            {
                _aborted = true;
                _client.Dispose();
                _upstream.Dispose();
                _cts.Dispose();
            }

            _proxy.OnConnectionEnded(this);
            FaultProxy.Log.ConnectionEnded(_proxy.Logger, _clientEndPoint);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Direction direction)
    {
        var buffer = new byte[_proxy.BufferSize];
        var ct = _cts.Token;
        try
        {
            while (true)
            {
                // A stalled direction reads nothing: the sender's socket buffers fill and its writes block.
                await _proxy.WhileStalledAsync(direction, ct).ConfigureAwait(false);
                var read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, ct).ConfigureAwait(false);
                if (read == 0)
                {
                    // A dead network loses the FIN too.
                    if (!_proxy.IsHalfOpen(direction))
                    {
                        to.Shutdown(SocketShutdown.Send);
                    }

                    return;
                }

                var latency = _proxy.GetLatency(direction);
                if (latency > TimeSpan.Zero && !_proxy.IsHalfOpen(direction))
                {
                    await Task.Delay(latency, _proxy.TimeProvider, ct).ConfigureAwait(false);
                }

                // Checked after the latency too: bytes in flight when the link dies are lost with it.
                if (_proxy.IsHalfOpen(direction))
                {
                    _proxy.OnDropped(read);
                    continue;
                }

                // A chunk read just before a stall is held until it heals (a stall delays bytes; it does not lose them).
                await _proxy.WhileStalledAsync(direction, ct).ConfigureAwait(false);
                await ForwardAsync(to, buffer.AsMemory(0, read), direction, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // One side failed or the connection was cut: end both sides (a no-op after a cut).
            FaultProxy.Log.PumpFailed(_proxy.Logger, _clientEndPoint, direction, ex);
            Abort(CutMode.Reset);
        }
    }

    private async Task ForwardAsync(Socket to, ReadOnlyMemory<byte> data, Direction direction, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            var rate = _proxy.GetBandwidth(direction);
            var length = rate > 0 ? Math.Min(data.Length, rate) : data.Length;
            var slice = data[..length];
            data = data[length..];
            while (!slice.IsEmpty)
            {
                var sent = await to.SendAsync(slice, SocketFlags.None, ct).ConfigureAwait(false);
                slice = slice[sent..];
            }

            if (rate > 0)
            {
                // The slice "occupies the link" for length / rate seconds before anything else may follow.
                await Task.Delay(TimeSpan.FromTicks(length * TimeSpan.TicksPerSecond / rate), _proxy.TimeProvider, ct).ConfigureAwait(false);
            }
        }
    }
}
