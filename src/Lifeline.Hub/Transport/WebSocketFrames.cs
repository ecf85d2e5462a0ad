using System.Buffers.Binary;

namespace Lifeline.Hub.Transport;

/// <summary>
/// RFC 6455 frame headers as a server writes them: FIN and opcode, then the payload length in 7, 7+16 or 7+64 bits, and
/// no mask (a server's frames are never masked). So one header serves every subscriber a frame is sent to.
/// </summary>
internal static class WebSocketFrames
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>The largest header: 2 bytes, 8 of extended length, 4 of mask (client frames only).</summary>
    public const int MaxHeaderBytes = 14;

    /// <summary>A control frame's payload is at most 125 bytes (RFC 6455 5.5).</summary>
    public const int MaxControlPayload = 125;

    /// <summary>The length of a server frame header for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int HeaderLength(long payloadLength) => payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10;

    /// <summary>Writes a server frame header (unmasked) into <paramref name="into"/>; returns its length.</summary>
    public static int WriteHeader(Span<byte> into, byte opcode, bool fin, long payloadLength)
    {
        into[0] = (byte)((fin ? 0x80 : 0) | opcode);
        if (payloadLength < 126)
        {
            into[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            into[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(into[2..], (ushort)payloadLength);
            return 4;
        }

        into[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(into[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>
    /// XORs <paramref name="data"/> with the 4-byte <paramref name="mask"/> (in network order) starting at mask byte
    /// <paramref name="offset"/>; returns the offset for the byte after it.
    /// </summary>
    public static int Unmask(Span<byte> data, uint mask, int offset)
    {
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(key, mask);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] ^= key[(offset + i) & 3];
        }

        return (offset + data.Length) & 3;
    }

    /// <summary>Whether a peer may send <paramref name="code"/> in a close frame (RFC 6455 7.4; 1012-1014 from IANA's registry).</summary>
    public static bool IsValidCloseCode(int code) =>
        code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;
}
