using System.Diagnostics;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>A histogram of latencies in 10 µs buckets up to 1 s. Thread-safe (interlocked counts).</summary>
internal sealed class LatencyRecorder
{
    private const double BucketMicroseconds = 10;
    private readonly long[] _buckets = new long[100_001];
    private long _max;
    private volatile bool _on;

    /// <summary>Starts or stops recording (warm-up is not recorded).</summary>
    public bool Recording { get => _on; set => _on = value; }

    public void Record(long stopwatchTicks)
    {
        if (!_on)
        {
            return;
        }

        var us = stopwatchTicks * 1_000_000.0 / Stopwatch.Frequency;
        var bucket = (int)Math.Min(_buckets.Length - 1, Math.Max(0, us / BucketMicroseconds));
        Interlocked.Increment(ref _buckets[bucket]);
        var ticks = (long)us;
        long seen;
        while (ticks > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, ticks, seen) != seen)
        {
        }
    }

    public long Count => _buckets.Sum();

    public double MaxMs => Volatile.Read(ref _max) / 1000.0;

    /// <summary>The latency at quantile <paramref name="q"/> (0..1), milliseconds (bucket upper bound).</summary>
    public double PercentileMs(double q)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var target = (long)Math.Ceiling(total * q);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= target)
            {
                return (i + 1) * BucketMicroseconds / 1000.0;
            }
        }

        return MaxMs;
    }
}
