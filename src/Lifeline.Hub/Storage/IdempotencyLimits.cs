namespace Lifeline.Hub.Storage;

/// <summary>
/// How long idempotency keys are remembered: a key is forgotten only once it is both beyond the newest
/// <see cref="Capacity"/> keys and older than <see cref="Window"/> ("at least the last N, for at least T"), or beyond
/// <see cref="HardCap"/>, which bounds memory and disk under a flood of keys. The in-memory cache and the SQLite store's
/// table apply the same rule.
/// </summary>
internal readonly record struct IdempotencyLimits(int Capacity, TimeSpan Window)
{
    /// <summary>The most keys kept, however recent: 100 times <see cref="Capacity"/>.</summary>
    public long HardCap => Capacity * 100L;

    /// <summary>Whether the oldest of <paramref name="count"/> keys, remembered at <paramref name="oldestTicks"/>, may be forgotten at <paramref name="nowTicks"/>.</summary>
    public bool MayForgetOldest(long count, long oldestTicks, long nowTicks) =>
        count > Capacity && (oldestTicks < nowTicks - Window.Ticks || count > HardCap);
}
