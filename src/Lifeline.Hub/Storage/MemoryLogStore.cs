namespace Lifeline.Hub.Storage;

/// <summary>
/// The default store: a ring of entries bounded by count and bytes; the oldest are evicted on append.
/// Thread-safe: one lock guards the ring; reads copy references out under it.
/// </summary>
internal sealed class MemoryLogStore(int maxEntries, long maxBytes) : ILogStore
{
    private readonly Lock _lock = new();

    // Invariant: _ring[i] holds id OldestId + i for 0 <= i < _ring.Count.
    private readonly Ring<StoredEntry> _ring = new(Math.Min(maxEntries, 1024));
    private long _bytes;
    private long _lastId;
    private long _position;

    public long LastId { get { lock (_lock) { return _lastId; } } }

    public long OldestId { get { lock (_lock) { return _lastId - _ring.Count + 1; } } }

    public long Count { get { lock (_lock) { return _ring.Count; } } }

    public long Bytes { get { lock (_lock) { return _bytes; } } }

    public long Position { get { lock (_lock) { return _position; } } }

    public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<IReadOnlyList<IdempotencyRecord>> ReadIdempotencyKeysAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<IdempotencyRecord>>([]);

    /// <summary>Appends the entries; the hub's in-memory cache is the only record of <paramref name="keys"/>, as nothing here outlives the process.</summary>
    public ValueTask AppendAsync(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, CancellationToken cancellationToken)
    {
        Add(entries);
        return ValueTask.CompletedTask;
    }

    private void Add(IReadOnlyList<StoredEntry> entries)
    {
        lock (_lock)
        {
            foreach (var e in entries)
            {
                if (_ring.Count == _ring.Capacity)
                {
                    if (_ring.Capacity < maxEntries)
                    {
                        _ring.Grow((int)Math.Min(maxEntries, (long)_ring.Capacity * 2));
                    }
                    else
                    {
                        EvictOldest();
                    }
                }

                _ring.Add(e);
                _bytes += e.Json.Length;
                _lastId = e.Id;
                while (_bytes > maxBytes && _ring.Count > 1)
                {
                    EvictOldest();
                }
            }
        }
    }

    public ValueTask AppendMirroredAsync(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, long position, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // Under one lock with the entries: a reader never sees the position ahead of them.
            Add(entries);
            _position = position;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteBeforeAsync(long keepFromId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            while (_ring.Count > 0 && _lastId - _ring.Count + 1 < keepFromId)
            {
                EvictOldest();
            }

            // Invariant kept: an empty ring's oldest id is _lastId + 1.
            _lastId = Math.Max(_lastId, keepFromId - 1);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var oldest = _lastId - _ring.Count + 1;
            var skip = Math.Max(0, afterId - oldest + 1);
            for (var i = skip; i < _ring.Count && max > 0; i++, max--)
            {
                into.Add(_ring[(int)i]);
            }

            return ValueTask.FromResult(oldest);
        }
    }

    public ValueTask EnforceRetentionAsync(long receivedBeforeTicks, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            while (_ring.Count > 0 && _ring[0].ReceivedTicks < receivedBeforeTicks)
            {
                EvictOldest();
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void EvictOldest() => _bytes -= _ring.RemoveOldest().Json.Length;
}
