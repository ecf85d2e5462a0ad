using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Transport;

/// <summary>
/// A WebSocket client that writes frames byte by byte, well-formed or not, and reads the server's frames as they are on
/// the wire (header included), to check the lean streams' socket against RFC 6455.
/// </summary>
internal sealed class RawWebSocket : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[1 << 20];
    private int _start;
    private int _end;

    private RawWebSocket(Socket socket) => _socket = socket;

    /// <summary>Connects to <paramref name="pathAndQuery"/> on the hub and reads the 101 answer.</summary>
    public static async Task<RawWebSocket> ConnectAsync(HubHost hub, string pathAndQuery = "/v1/stream")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, hub.BaseUri.Port)).OrTimeout(Timeout);
        var raw = new RawWebSocket(socket);
        await raw.SendRawAsync(Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var head = await raw.ReadHeadAsync();
        if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("no upgrade: " + head);
        }

        return raw;
    }

    public Task SendRawAsync(byte[] bytes) => _socket.SendAsync(bytes, SocketFlags.None).OrTimeout(Timeout);

    /// <summary>A client frame: masked unless told otherwise; <paramref name="firstByte"/> holds FIN, RSV and the opcode.</summary>
    public static byte[] Frame(byte firstByte, byte[] payload, bool masked = true)
    {
        var header = new List<byte> { firstByte };
        var maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length < 126)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }

        byte[] key = [0x12, 0x34, 0x56, 0x78];
        if (masked)
        {
            header.AddRange(key);
        }

        return [.. header, .. payload.Select((b, i) => masked ? (byte)(b ^ key[i & 3]) : b)];
    }

    public Task SendFrameAsync(byte firstByte, byte[] payload, bool masked = true) => SendRawAsync(Frame(firstByte, payload, masked));

    /// <summary>A close frame's payload: the code, then the reason's bytes.</summary>
    public static byte[] ClosePayload(int code, byte[]? reason = null) => [(byte)(code >> 8), (byte)code, .. reason ?? []];

    /// <summary>The next frame as sent: first byte, mask bit, the length form used, and the payload.</summary>
    public async Task<ServerFrame> ReadFrameAsync()
    {
        await FillAsync(2);
        var b0 = _buffer[_start];
        var b1 = _buffer[_start + 1];
        var length7 = b1 & 0x7F;
        var headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
        await FillAsync(headerLength);
        long length = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2)),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(_start + 2)),
            _ => length7,
        };
        await FillAsync(headerLength + (int)length);
        var payload = _buffer.AsSpan(_start + headerLength, (int)length).ToArray();
        _start += headerLength + (int)length;
        return new ServerFrame(b0, (b1 & 0x80) != 0, headerLength, payload);
    }

    /// <summary>Reads frames until one with <paramref name="opcode"/>.</summary>
    public async Task<ServerFrame> ReadUntilAsync(byte opcode)
    {
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame.Opcode == opcode)
            {
                return frame;
            }
        }
    }

    /// <summary>Whether the server closed the TCP connection (after anything still unread).</summary>
    public async Task<bool> ReadToEndAsync()
    {
        while (true)
        {
            try
            {
                var read = await _socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None).AsTask().OrTimeout(Timeout);
                if (read == 0)
                {
                    return true;
                }
            }
            catch (SocketException)
            {
                return true;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task FillAsync(int count)
    {
        if (_start + count > _buffer.Length)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end - _start < count)
        {
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None).AsTask().OrTimeout(Timeout);
            if (read == 0)
            {
                throw new EndOfStreamException($"the server closed the connection with {_end - _start} of {count} bytes read");
            }

            _end += read;
        }
    }

    private async Task<string> ReadHeadAsync()
    {
        while (true)
        {
            var text = Encoding.ASCII.GetString(_buffer, _start, _end - _start);
            if (text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
            {
                _start += end + 4;
                return text[..end];
            }

            await FillAsync(_end - _start + 1);
        }
    }
}

/// <summary>A server frame as it was on the wire.</summary>
internal sealed record ServerFrame(byte FirstByte, bool Masked, int HeaderLength, byte[] Payload)
{
    public bool Fin => (FirstByte & 0x80) != 0;

    public byte Opcode => (byte)(FirstByte & 0x0F);

    public string Text => Encoding.UTF8.GetString(Payload);

    public int CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 0;
}
