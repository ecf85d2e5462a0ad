namespace Lifeline.Hub.Monitoring;

/// <summary>Events per second over the last few whole seconds of a TimeProvider. Thread-safe: one lock.</summary>
internal sealed class RateMeter(TimeProvider time)
{
    private const int Seconds = 5;
    private readonly Lock _lock = new();
    private readonly long[] _buckets = new long[Seconds + 1];
    private long _second = -1;

    public void Add(long count)
    {
        lock (_lock)
        {
            Roll();
            _buckets[_second % _buckets.Length] += count;
        }
    }

    /// <summary>The average of the last <c>5</c> complete seconds.</summary>
    public double PerSecond
    {
        get
        {
            lock (_lock)
            {
                Roll();
                long sum = 0;
                for (var i = 1; i <= Seconds; i++)
                {
                    sum += _buckets[(_second - i + _buckets.Length) % _buckets.Length];
                }

                return sum / (double)Seconds;
            }
        }
    }

    private void Roll()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (_second < 0)
        {
            _second = now;
        }

        for (var s = _second + 1; s <= now && s <= _second + _buckets.Length; s++)
        {
            _buckets[s % _buckets.Length] = 0;
        }

        if (now > _second + _buckets.Length)
        {
            Array.Clear(_buckets);
        }

        _second = Math.Max(_second, now);
    }
}
