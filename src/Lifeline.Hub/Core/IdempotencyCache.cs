using Lifeline.Protocol;

namespace Lifeline.Hub.Core;

/// <summary>
/// Remembers the answer of recent idempotent ingests (docs/protocol.md, "Retries without duplicates").
/// A key is forgotten only once it is both beyond the newest <c>capacity</c> keys and older than <c>window</c>
/// (so "at least the last N, for at least T"); a hard cap of 100 x capacity bounds memory under a flood of keys.
/// Thread-safe: one lock.
/// </summary>
internal sealed class IdempotencyCache(int capacity, TimeSpan window, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Task<PublishResult>> _answers = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long Ticks)> _order = new();

    /// <summary>
    /// Returns the remembered answer of <paramref name="key"/>, or registers <paramref name="pending"/> as its answer
    /// and returns <see langword="null"/> (the caller then stores the entries and completes it).
    /// </summary>
    public Task<PublishResult>? GetOrAdd(string key, Task<PublishResult> pending)
    {
        lock (_lock)
        {
            if (_answers.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var now = time.GetUtcNow().UtcTicks;
            Trim(now);
            _answers[key] = pending;
            _order.Enqueue((key, now));
            return null;
        }
    }

    /// <summary>Forgets a key whose ingest failed (so a retry stores the entries).</summary>
    public void Remove(string key)
    {
        lock (_lock)
        {
            _answers.Remove(key);
        }
    }

    private void Trim(long now)
    {
        var cutoff = now - window.Ticks;
        while (_order.Count > capacity && (_order.Peek().Ticks < cutoff || _order.Count > capacity * 100L))
        {
            _answers.Remove(_order.Dequeue().Key);
        }
    }
}
