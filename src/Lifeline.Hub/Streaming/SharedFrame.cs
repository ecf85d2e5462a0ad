using Lifeline.Hub.Storage;
using Lifeline.Protocol;

namespace Lifeline.Hub.Streaming;

/// <summary>
/// An <c>entries</c> message serialized once and shared, read-only, by every subscriber whose filter selected it.
/// <see cref="FirstId"/> and <see cref="LastId"/> are the ids of its first and last entries.
/// </summary>
internal sealed class SharedFrame(byte[] bytes, long firstId, long lastId, int count)
{
    private static readonly byte[] Prefix = """{"type":"entries","entries":["""u8.ToArray();
    private static readonly byte[] Suffix = "]}"u8.ToArray();

    public byte[] Bytes { get; } = bytes;

    public long FirstId { get; } = firstId;

    public long LastId { get; } = lastId;

    /// <summary>Whether the frame holds every id from <see cref="FirstId"/> to <see cref="LastId"/> (it was built unfiltered).</summary>
    public bool IsContiguous => LastId - FirstId + 1 == Count;

    public int Count { get; } = count;

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
        var bytes = new byte[size];
        Prefix.CopyTo(bytes, 0);
        var at = Prefix.Length;
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
        return new SharedFrame(bytes, first, last, count);
    }
}
