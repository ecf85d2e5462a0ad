using Lifeline.Hub.Storage;
using Lifeline.Hub.Transport;
using Lifeline.Protocol;

namespace Lifeline.Hub.Streaming;

/// <summary>
/// An <c>entries</c> message serialized once and shared, read-only, by every subscriber whose filter selected it.
/// <see cref="FirstId"/> and <see cref="LastId"/> are the ids of its first and last entries. <see cref="Wire"/> is the
/// whole WebSocket frame as the hub sends it (a server frame's header is the same for every peer), so a lean stream
/// writes it into its transport as it is; <see cref="Payload"/> is the message alone, for a WebSocket that frames it.
/// </summary>
internal sealed class SharedFrame
{
    private static readonly byte[] Prefix = """{"type":"entries","entries":["""u8.ToArray();
    private static readonly byte[] Suffix = "]}"u8.ToArray();
    private readonly int _headerLength;

    private SharedFrame(byte[] wire, int headerLength, long firstId, long lastId, int count)
    {
        Wire = wire;
        _headerLength = headerLength;
        FirstId = firstId;
        LastId = lastId;
        Count = count;
    }

    /// <summary>The text frame: header, then <see cref="Payload"/>.</summary>
    public byte[] Wire { get; }

    /// <summary>The message.</summary>
    public ReadOnlyMemory<byte> Payload => Wire.AsMemory(_headerLength);

    /// <summary>The message's length in bytes (what queues and caches count).</summary>
    public int Length => Wire.Length - _headerLength;

    public long FirstId { get; }

    public long LastId { get; }

    /// <summary>Whether the frame holds every id from <see cref="FirstId"/> to <see cref="LastId"/> (it was built unfiltered).</summary>
    public bool IsContiguous => LastId - FirstId + 1 == Count;

    public int Count { get; }

    /// <summary>A frame of <paramref name="payload"/> (tests).</summary>
    public static SharedFrame FromPayload(ReadOnlySpan<byte> payload, long firstId, long lastId, int count)
    {
        var headerLength = WebSocketFrames.HeaderLength(payload.Length);
        var wire = new byte[headerLength + payload.Length];
        WebSocketFrames.WriteHeader(wire, WebSocketFrames.Text, fin: true, payload.Length);
        payload.CopyTo(wire.AsSpan(headerLength));
        return new SharedFrame(wire, headerLength, firstId, lastId, count);
    }

    /// <summary>
    /// Builds frames of about <paramref name="maxFrameBytes"/> (one entry may exceed it) from the entries of
    /// <paramref name="source"/> that <paramref name="filter"/> matches, in order.
    /// </summary>
    public static void Build(IReadOnlyList<StoredEntry> source, LogFilter filter, int maxFrameBytes, List<SharedFrame> into)
    {
        Func<StoredEntry, bool>? include = filter.MatchesAll ? null : filter.Matches;
        var start = 0;
        while (start < source.Count)
        {
            var size = Prefix.Length + Suffix.Length;
            var count = 0;
            var end = start;
            for (; end < source.Count; end++)
            {
                var e = source[end];
                if (include is not null && !include(e))
                {
                    continue;
                }

                var add = e.Json.Length + (count > 0 ? 1 : 0);
                if (count > 0 && size + add > maxFrameBytes)
                {
                    break;
                }

                size += add;
                count++;
            }

            if (count > 0)
            {
                into.Add(Encode(source, start, end, include, size, count));
            }

            start = end;
        }
    }

    private static SharedFrame Encode(IReadOnlyList<StoredEntry> source, int start, int end, Func<StoredEntry, bool>? include, int size, int count)
    {
        var headerLength = WebSocketFrames.HeaderLength(size);
        var bytes = new byte[headerLength + size];
        WebSocketFrames.WriteHeader(bytes, WebSocketFrames.Text, fin: true, size);
        Prefix.CopyTo(bytes, headerLength);
        var at = headerLength + Prefix.Length;
        long first = 0;
        long last = 0;
        for (var i = start; i < end; i++)
        {
            var e = source[i];
            if (include is not null && !include(e))
            {
                continue;
            }

            if (last != 0)
            {
                bytes[at++] = (byte)',';
            }
            else
            {
                first = e.Id;
            }

            e.Json.CopyTo(bytes, at);
            at += e.Json.Length;
            last = e.Id;
        }

        Suffix.CopyTo(bytes, at);
        return new SharedFrame(bytes, headerLength, first, last, count);
    }
}
