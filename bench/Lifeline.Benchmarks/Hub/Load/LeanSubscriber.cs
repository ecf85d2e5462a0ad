using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// A minimal WebSocket subscriber for load runs: a raw socket, the HTTP upgrade written by hand, then server frames
/// parsed in place in one buffer (entries counted by their <c>{"id":</c> prefix, which the hub always writes first).
/// It answers pings, ignores everything else, and costs far less CPU per message than <c>ClientWebSocket</c>,
/// so the load generator is not the bottleneck. Not thread-safe; counters are read with <see cref="Volatile"/>.
/// </summary>
internal sealed class LeanSubscriber : IAsyncDisposable
{
    private static readonly byte[] EntryMarker = "{\"id\":"u8.ToArray();
    private static readonly byte[] MessageMarker = "\"message\":\""u8.ToArray();
    private readonly Socket _socket;
    private readonly LatencyRecorder? _latency;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _entries;
    private long _messages;
    private long _lastId;

    private LeanSubscriber(Socket socket, int bufferBytes, LatencyRecorder? latency)
    {
        _socket = socket;
        _buffer = new byte[bufferBytes];
        _latency = latency;
    }

    public long Entries => Volatile.Read(ref _entries);

    public long Messages => Volatile.Read(ref _messages);

    public long LastId => Volatile.Read(ref _lastId);

    /// <summary>Whether ids went backwards or skipped in a way a gap-free stream never does (with no filter).</summary>
    public bool SawDisorder { get; private set; }

    /// <summary>Completes when the first message (hello) arrived.</summary>
    public TaskCompletionSource Hello { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task<LeanSubscriber> ConnectAsync(Uri hub, string pathAndQuery, string? key, int bufferBytes, LatencyRecorder? latency, CancellationToken cancellationToken)
    {
        // Blocking calls on a pool thread: a socket that never ran an async operation is not registered with the
        // runtime's epoll engine, so an EpollLoop can own it without the runtime also waking on its readiness.
        return Task.Run(() => Connect(hub, pathAndQuery, key, bufferBytes, latency), cancellationToken);
    }

    private static LeanSubscriber Connect(Uri hub, string pathAndQuery, string? key, int bufferBytes, LatencyRecorder? latency)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 30_000 };
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Parse(hub.Host), hub.Port));
            var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {hub.Host}:{hub.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (key is null ? "" : $"Authorization: Bearer {key}\r\n") + "\r\n";
            socket.Send(Encoding.ASCII.GetBytes(request));
            var sub = new LeanSubscriber(socket, Math.Max(bufferBytes, 4096), latency);
            sub.ReadUpgrade();
            return sub;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A subscriber on an already connected socket that carries server frames from the start (no upgrade).</summary>
    public static LeanSubscriber OnConnectedSocket(Socket socket, int bufferBytes, LatencyRecorder? latency) => new(socket, bufferBytes, latency);

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
        var count = 0;
        var now = Stopwatch.GetTimestamp();
        var rest = payload;
        while (true)
        {
            var at = rest.IndexOf(EntryMarker);
            if (at < 0)
            {
                break;
            }

            rest = rest[(at + EntryMarker.Length)..];
            count++;
            var idEnd = rest.IndexOf((byte)',');
            if (idEnd > 0 && long.TryParse(rest[..idEnd], out var id))
            {
                if (id != _lastId + 1 && _lastId != 0)
                {
                    SawDisorder |= id <= _lastId;
                }

                Volatile.Write(ref _lastId, id);
            }

            if (_latency is not null)
            {
                var m = rest.IndexOf(MessageMarker);
                if (m >= 0)
                {
                    var digits = rest[(m + MessageMarker.Length)..];
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

    private void Pong(ReadOnlySpan<byte> payload)
    {
        // Client frames are masked; a zero mask leaves the payload as it is.
        var frame = new byte[6 + payload.Length];
        frame[0] = 0x8A;
        frame[1] = (byte)(0x80 | payload.Length);
        payload.CopyTo(frame.AsSpan(6));
        _socket.Send(frame);
    }
}
