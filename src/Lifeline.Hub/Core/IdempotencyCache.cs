using Lifeline.Hub.Storage;
using Lifeline.Protocol;

namespace Lifeline.Hub.Core;

/// <summary>
/// Remembers the answer of recent idempotent ingests (docs/protocol.md, "Retries without duplicates"), as long as
/// <see cref="IdempotencyLimits"/> says. It holds the answers still pending too, so a retry that arrives while its first
/// try is being stored waits for that answer. The durable record is the store's (<see cref="IdempotencyRecord"/>,
/// committed with the entries); a restarted hub fills this cache from it before it accepts ingests.
/// Thread-safe: one lock.
/// </summary>
internal sealed class IdempotencyCache(IdempotencyLimits limits, TimeProvider time)
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

    /// <summary>Remembers answers read back from the store (oldest first), then forgets what the limits allow.</summary>
    public void Restore(IEnumerable<IdempotencyRecord> records)
    {
        lock (_lock)
        {
            foreach (var r in records)
            {
                _answers[r.Key] = Task.FromResult(r.Result);
                _order.Enqueue((r.Key, r.ReceivedTicks));
            }

            Trim(time.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>The remembered answer of <paramref name="key"/>, if any (completed or pending).</summary>
    public Task<PublishResult>? TryGet(string key)
    {
        lock (_lock)
        {
            return _answers.GetValueOrDefault(key);
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
        while (_order.Count > 0 && limits.MayForgetOldest(_order.Count, _order.Peek().Ticks, now))
        {
            _answers.Remove(_order.Dequeue().Key);
        }
    }
}
