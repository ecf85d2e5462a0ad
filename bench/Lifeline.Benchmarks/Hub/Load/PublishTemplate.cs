using System.Buffers.Text;
using System.Text;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// One prebuilt publish message of a fixed number of ~N-byte entries, each message starting with a fixed-width
/// timestamp slot that <see cref="Stamp"/> fills in place: a publisher at tens of thousands of messages a second
/// builds nothing per message. Not thread-safe (one publisher).
/// </summary>
internal sealed class PublishTemplate
{
    // Stopwatch ticks as zero-padded decimal: long.MaxValue has 19 digits, and the reader's long.TryParse takes the zeros.
    private const int StampDigits = 19;
    private readonly byte[] _message;
    private readonly int[] _slots;

    public PublishTemplate(int entries, int entryBytes)
    {
        var stamp = new string('0', StampDigits);
        var entry = $"{{\"source\":\"bench\",\"message\":\"{stamp} {LoadTraffic.Padding(entryBytes)}\"}}";
        _message = Encoding.UTF8.GetBytes($"{{\"type\":\"publish\",\"ref\":\"b\",\"entries\":[{string.Join(",", Enumerable.Repeat(entry, entries))}]}}");
        var marker = "\"message\":\""u8;
        _slots = new int[entries];
        var from = 0;
        for (var i = 0; i < entries; i++)
        {
            _slots[i] = from = _message.AsSpan(from).IndexOf(marker) + from + marker.Length;
        }
    }

    /// <summary>Writes <paramref name="timestamp"/> into every entry and returns the message (valid until the next call).</summary>
    public ReadOnlyMemory<byte> Stamp(long timestamp)
    {
        foreach (var slot in _slots)
        {
            Utf8Formatter.TryFormat(timestamp, _message.AsSpan(slot, StampDigits), out _, new System.Buffers.StandardFormat('D', StampDigits));
        }

        return _message;
    }
}
