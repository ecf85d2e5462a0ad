namespace Lifeline.Hub.Ingest;

/// <summary>Allows <c>rate</c> operations per second with bursts of twice that, on a TimeProvider. Not thread-safe (one receive loop uses it).</summary>
/// <remarks>
/// Not System.Threading.RateLimiting's <c>TokenBucketRateLimiter</c>: its limiters read the Stopwatch (even
/// <c>TryReplenish</c> with auto-replenishment off adds tokens by real elapsed time), so the hub's TimeProvider could not
/// drive it and a test on a fake clock would see tokens appear (tried in issue 15: TokenBucketTests fail on it).
/// </remarks>
internal sealed class TokenBucket(int rate, TimeProvider time)
{
    private readonly double _capacity = rate * 2.0;
    private double _tokens = rate * 2.0;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * rate));
        _last = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
