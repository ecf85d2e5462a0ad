namespace Lifeline.Hub.Ingest;

/// <summary>
/// Allows <c>rate</c> operations per second with bursts of twice that, on a TimeProvider. Not thread-safe (one receive
/// loop uses it). Hand-written rather than System.Threading.RateLimiting's TokenBucketRateLimiter, which replenishes on
/// its own timer or by calls and takes no TimeProvider, so tests could not drive it with a manual clock (TokenBucketTests: it refills by the Stopwatch).
/// </summary>
internal sealed class TokenBucket(int rate, TimeProvider time)
{
    private readonly double _capacity = rate * 2.0;
    private double _tokens = rate * 2.0;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        Refill();
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    /// <summary>How long until <see cref="TryTake"/> can succeed (zero if it can now).</summary>
    public TimeSpan TimeUntilNext()
    {
        Refill();
        return _tokens >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _tokens) / rate);
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * rate));
        _last = now;
    }
}
