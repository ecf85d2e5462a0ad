using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// A minimal WebSocket subscriber for load runs: a raw socket, the HTTP upgrade written by hand, then server frames
/// parsed in place in one buffer (entries counted by the <see cref="LeanFormat.EntryMarker"/> that starts each; for the
/// hub, the <c>{"id":</c> it always writes first). It answers pings, ignores everything else, and costs far less CPU
/// per message than <c>ClientWebSocket</c>, so the load generator is not the bottleneck. Receiving is not
/// thread-safe (one reader); <see cref="SendKeepAlive"/> may run beside it (one small frame per send call);
/// counters are read with <see cref="Volatile"/>.
/// </summary>
internal sealed class LeanSubscriber : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly LeanFormat _format;
    private readonly LatencyRecorder? _latency;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _entries;
    private long _messages;
    private long _payloadBytes;
    private long _lastId;

    private LeanSubscriber(Socket socket, LeanFormat format, int bufferBytes, LatencyRecorder? latency)
    {
        _socket = socket;
        _format = format;
        _buffer = new byte[bufferBytes];
        _latency = latency;
    }

    public long Entries => Volatile.Read(ref _entries);

    public long Messages => Volatile.Read(ref _messages);

    /// <summary>Bytes of text-frame payload received (what the entries cost on the wire, without frame headers).</summary>
    public long PayloadBytes => Volatile.Read(ref _payloadBytes);

    public long LastId => Volatile.Read(ref _lastId);

    /// <summary>Whether ids went backwards or skipped in a way a gap-free stream never does (with no filter).</summary>
    public bool SawDisorder { get; private set; }

    /// <summary>
    /// Called on the receiving loop for every entry, with its id (0 if it has none) and what follows the id in the
    /// frame (this entry and the rest of the frame), for a run that checks what it receives; <see langword="null"/>: none.
    /// </summary>
    public EntryObserver? OnEntry { get; set; }

    /// <summary>Completes when the first message (hello) arrived.</summary>
    public TaskCompletionSource Hello { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Connects, upgrades on <see cref="LeanFormat.Path"/> and sends the format's handshake, if any.</summary>
    public static Task<LeanSubscriber> ConnectAsync(Uri hub, LeanFormat format, string? key, int bufferBytes, LatencyRecorder? latency, CancellationToken cancellationToken)
    {
        // Blocking calls on a pool thread: a socket that never ran an async operation is not registered with the
        // runtime's epoll engine, so an EpollLoop can own it without the runtime also waking on its readiness.
        return Task.Run(() => Connect(hub, format, key, bufferBytes, latency), cancellationToken);
    }

    private static LeanSubscriber Connect(Uri hub, LeanFormat format, string? key, int bufferBytes, LatencyRecorder? latency)
    {
        var pathAndQuery = format.Path;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 30_000 };
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Parse(hub.Host), hub.Port));
            var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {hub.Host}:{hub.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (key is null ? "" : $"Authorization: Bearer {key}\r\n") + "\r\n";
            socket.Send(Encoding.ASCII.GetBytes(request));
            var sub = new LeanSubscriber(socket, format, Math.Max(bufferBytes, 4096), latency);
            sub.ReadUpgrade();
            if (format.Handshake is { } handshake)
            {
                sub.SendFrame(0x81, handshake);
            }

            return sub;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A subscriber on an already connected socket that carries server frames from the start (no upgrade).</summary>
    public static LeanSubscriber OnConnectedSocket(Socket socket, int bufferBytes, LatencyRecorder? latency) => new(socket, LeanFormat.Lifeline, bufferBytes, latency);

    /// <summary>Sends the format's keep-alive message, if it has one (a server of the SignalR kind drops a client that sends nothing for 30 s).</summary>
    public void SendKeepAlive()
    {
        if (_format.KeepAlive is { } message)
        {
            try
            {
                SendFrame(0x81, message);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The receive side sees the close and counts it.
            }
        }
    }

    /// <summary>The socket's file descriptor (for <see cref="EpollLoop"/>).</summary>
    public int Descriptor => (int)_socket.Handle;

    /// <summary>
    /// Reads what the socket has without blocking and parses it (the socket must be non-blocking: <see cref="EpollLoop"/>
    /// sets that). Returns <see langword="false"/> when the peer closed or the socket failed.
    /// </summary>
    public bool ReceiveAvailable()
    {
        while (true)
        {
            ParseAndMakeRoom();
            var read = _socket.Receive(_buffer.AsSpan(_end), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return true;
            }

            if (error != SocketError.Success || read == 0)
            {
                return false;
            }

            _end += read;
        }
    }

    /// <summary>Makes the socket non-blocking (for <see cref="EpollLoop"/>).</summary>
    public void MakeNonBlocking() => _socket.Blocking = false;

    /// <summary>Receives and counts until the socket closes or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                ParseAndMakeRoom();
                var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                _end += read;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private void ReadUpgrade()
    {
        while (true)
        {
            var read = _socket.Receive(_buffer.AsSpan(_end));
            if (read == 0)
            {
                throw new IOException("closed during the upgrade");
            }

            _end += read;
            var headerEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8);
            if (headerEnd >= 0)
            {
                if (!_buffer.AsSpan(0, headerEnd).StartsWith("HTTP/1.1 101"u8))
                {
                    throw new IOException("upgrade refused: " + Encoding.ASCII.GetString(_buffer, 0, Math.Min(headerEnd, 200)));
                }

                _start = headerEnd + 4;
                return;
            }
        }
    }

    /// <summary>Parses the complete frames buffered, then makes room after what is left for the next read.</summary>
    private void ParseAndMakeRoom()
    {
        ParseFrames();
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Compact();
        }
    }

    private void Compact()
    {
        var pending = _end - _start;
        if (_start == 0)
        {
            // One frame larger than the buffer: grow it.
            Array.Resize(ref _buffer, _buffer.Length * 2);
            return;
        }

        Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
        _start = 0;
        _end = pending;
    }

    private void ParseFrames()
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            if (available.Length < 2)
            {
                return;
            }

            var opcode = available[0] & 0x0F;
            long length = available[1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (available.Length < 4)
                {
                    return;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(available[2..]);
                header = 4;
            }
            else if (length == 127)
            {
                if (available.Length < 10)
                {
                    return;
                }

                length = (long)BinaryPrimitives.ReadUInt64BigEndian(available[2..]);
                header = 10;
            }

            if (available.Length < header + length)
            {
                if (_start == 0 && header + length > _buffer.Length)
                {
                    Array.Resize(ref _buffer, (int)Math.Max(_buffer.Length * 2, header + length));
                }

                return;
            }

            var payload = available.Slice(header, (int)length);
            switch (opcode)
            {
                case 1:
                    OnText(payload);
                    break;
                case 9:
                    Pong(payload);
                    break;
            }

            _start += header + (int)length;
        }
    }

    private void OnText(ReadOnlySpan<byte> payload)
    {
        if (Volatile.Read(ref _messages) == 0)
        {
            Hello.TrySetResult();
        }

        Interlocked.Increment(ref _messages);
        Volatile.Write(ref _payloadBytes, _payloadBytes + payload.Length);
        var count = 0;
        var now = Stopwatch.GetTimestamp();
        var rest = payload;
        var entryMarker = _format.EntryMarker;
        while (true)
        {
            var at = rest.IndexOf(entryMarker);
            if (at < 0)
            {
                break;
            }

            rest = rest[(at + entryMarker.Length)..];
            count++;
            var idEnd = _format.Ordered ? rest.IndexOf((byte)',') : -1;
            var id = 0L;
            if (idEnd > 0 && long.TryParse(rest[..idEnd], out id))
            {
                if (id != _lastId + 1 && _lastId != 0)
                {
                    SawDisorder |= id <= _lastId;
                }

                Volatile.Write(ref _lastId, id);
            }

            OnEntry?.Invoke(id, rest);

            if (_latency is not null)
            {
                var m = rest.IndexOf(_format.TimestampMarker);
                if (m >= 0)
                {
                    var digits = rest[(m + _format.TimestampMarker.Length)..];
                    var space = digits.IndexOf((byte)' ');
                    if (space > 0 && long.TryParse(digits[..space], out var sent))
                    {
                        _latency.Record(now - sent);
                    }
                }
            }
        }

        if (count > 0)
        {
            Interlocked.Add(ref _entries, count);
        }
    }

    private void Pong(ReadOnlySpan<byte> payload) => SendFrame(0x8A, payload);

    /// <summary>Sends one final frame (<paramref name="first"/>: FIN and opcode) of up to 65,535 bytes in one send call.</summary>
    private void SendFrame(byte first, ReadOnlySpan<byte> payload)
    {
        // Client frames are masked; a zero mask leaves the payload as it is.
        var header = payload.Length < 126 ? 2 : 4;
        var frame = new byte[header + 4 + payload.Length];
        frame[0] = first;
        if (header == 2)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), checked((ushort)payload.Length));
        }

        payload.CopyTo(frame.AsSpan(header + 4));
        _socket.Send(frame);
    }
}
