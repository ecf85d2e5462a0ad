namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// Checks what one subscriber received against what the publisher sent: each entry's message carries the publisher's
/// sequence number (1, 2, ... after the send timestamp: <c>"message":"TIMESTAMP SEQ ..."</c>), so every entry must
/// arrive exactly once, in order, with ids one after another. Counts what it sees: received, duplicates (a sequence
/// number already seen), skips (a sequence number past the next one), id gaps. One receiving loop calls
/// <see cref="Observe"/>; the counters are read from another thread (<see cref="Volatile"/>).
/// </summary>
internal sealed class DeliveryCheck
{
    private static readonly byte[] MessageMarker = "\"message\":\""u8.ToArray();

    private long _received;
    private long _next = 1;
    private long _duplicates;
    private long _skipped;
    private long _idGaps;
    private long _lastId;

    /// <summary>Entries received (every entry with a sequence number).</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>The highest sequence number received in order.</summary>
    public long InOrder => Volatile.Read(ref _next) - 1;

    public long Duplicates => Volatile.Read(ref _duplicates);

    public long Skipped => Volatile.Read(ref _skipped);

    public long IdGaps => Volatile.Read(ref _idGaps);

    /// <summary>Whether exactly <paramref name="sent"/> entries came, each once, in order, with contiguous ids.</summary>
    public bool ExactlyOnceInOrder(long sent) => Received == sent && InOrder == sent && Duplicates == 0 && Skipped == 0 && IdGaps == 0;

    /// <summary>One line: received of sent, and what was wrong, if anything.</summary>
    public string Describe(long sent) => ExactlyOnceInOrder(sent)
        ? $"{Received:N0}/{sent:N0} received, each once, in order, ids contiguous"
        : $"{Received:N0}/{sent:N0} received, in order up to {InOrder:N0}, {Duplicates:N0} duplicates, {Skipped:N0} skips, {IdGaps:N0} id gaps: NOT exactly once in order";

    /// <summary>An <see cref="Hub.Load.EntryObserver"/>.</summary>
    public void Observe(long id, ReadOnlySpan<byte> rest)
    {
        if (_lastId != 0 && id != _lastId + 1)
        {
            Volatile.Write(ref _idGaps, _idGaps + 1);
        }

        _lastId = id;
        var m = rest.IndexOf(MessageMarker);
        if (m < 0)
        {
            return;
        }

        // "TIMESTAMP SEQ ...": the sequence number sits between the first and the second space.
        var text = rest[(m + MessageMarker.Length)..];
        var first = text.IndexOf((byte)' ');
        if (first < 0)
        {
            return;
        }

        text = text[(first + 1)..];
        var second = text.IndexOf((byte)' ');
        if (second <= 0 || !long.TryParse(text[..second], out var sequence))
        {
            return;
        }

        Volatile.Write(ref _received, _received + 1);
        if (sequence == _next)
        {
            Volatile.Write(ref _next, _next + 1);
        }
        else if (sequence < _next)
        {
            Volatile.Write(ref _duplicates, _duplicates + 1);
        }
        else
        {
            Volatile.Write(ref _skipped, _skipped + 1);
            Volatile.Write(ref _next, sequence + 1);
        }
    }
}
