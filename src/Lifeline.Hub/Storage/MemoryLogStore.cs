namespace Lifeline.Hub.Storage;

/// <summary>
/// The default store: a ring of entries bounded by count and bytes; the oldest are evicted on append.
/// Thread-safe: one lock guards the ring; reads copy references out under it.
/// </summary>
internal sealed class MemoryLogStore(int maxEntries, long maxBytes) : ILogStore
{
    private readonly Lock _lock = new();

    // Invariant: _ring[(_head + i) % _ring.Length] holds id _oldestId + i for 0 <= i < _count.
    private StoredEntry[] _ring = new StoredEntry[Math.Min(maxEntries, 1024)];
    private int _head;
    private int _count;
    private long _bytes;
    private long _lastId;

    public long LastId { get { lock (_lock) { return _lastId; } } }

    public long OldestId { get { lock (_lock) { return _lastId - _count + 1; } } }

    public long Count { get { lock (_lock) { return _count; } } }

    public long Bytes { get { lock (_lock) { return _bytes; } } }

    public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask AppendAsync(IReadOnlyList<StoredEntry> entries, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (var e in entries)
            {
                if (_count == _ring.Length)
                {
                    if (_ring.Length < maxEntries)
                    {
                        Grow();
                    }
                    else
                    {
                        EvictOldest();
                    }
                }

                _ring[(_head + _count) % _ring.Length] = e;
                _count++;
                _bytes += e.Json.Length;
                _lastId = e.Id;
                while (_bytes > maxBytes && _count > 1)
                {
                    EvictOldest();
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var oldest = _lastId - _count + 1;
            var skip = Math.Max(0, afterId - oldest + 1);
            for (var i = skip; i < _count && max > 0; i++, max--)
            {
                into.Add(_ring[(_head + (int)i) % _ring.Length]);
            }

            return ValueTask.FromResult(oldest);
        }
    }

    public ValueTask EnforceRetentionAsync(long receivedBeforeTicks, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            while (_count > 0 && _ring[_head].ReceivedTicks < receivedBeforeTicks)
            {
                EvictOldest();
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void EvictOldest()
    {
        _bytes -= _ring[_head].Json.Length;
        _ring[_head] = null!;
        _head = (_head + 1) % _ring.Length;
        _count--;
    }

    private void Grow()
    {
        var bigger = new StoredEntry[(int)Math.Min(maxEntries, (long)_ring.Length * 2)];
        for (var i = 0; i < _count; i++)
        {
            bigger[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = bigger;
        _head = 0;
    }
}
