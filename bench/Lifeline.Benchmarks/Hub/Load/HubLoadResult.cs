namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>Progress of a load run: the phase and a running count.</summary>
/// <param name="Phase">What runs now.</param>
/// <param name="Count">Entries or connections so far.</param>
/// <param name="PerSecond">The rate so far, when the phase has one.</param>
public sealed record HubLoadProgress(string Phase, long Count, double PerSecond);

/// <summary>The figures of a load run; fields a scenario does not measure are 0.</summary>
public sealed record HubLoadResult
{
    /// <summary>The scenario run.</summary>
    public HubLoadScenario Scenario { get; init; }

    /// <summary>Length of the measured phase.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Entries counted in the measured phase (delivered, acknowledged or caught up, by scenario).</summary>
    public long Entries { get; init; }

    /// <summary>Entries per second: delivered (throughput), acknowledged (ingest), received (catch-up).</summary>
    public double EntriesPerSecond { get; init; }

    /// <summary>Entries ingested per second during a throughput run.</summary>
    public double IngestedPerSecond { get; init; }

    /// <summary>End-to-end latency median, milliseconds.</summary>
    public double P50Ms { get; init; }

    /// <summary>End-to-end latency 99th percentile, milliseconds.</summary>
    public double P99Ms { get; init; }

    /// <summary>End-to-end latency maximum, milliseconds.</summary>
    public double MaxMs { get; init; }

    /// <summary>Server managed heap (after a full collection) per idle subscriber, bytes.</summary>
    public double ManagedBytesPerSubscriber { get; init; }

    /// <summary>Server resident set per idle subscriber, bytes (includes pool and heap growth that is not freed).</summary>
    public double ResidentBytesPerSubscriber { get; init; }

    /// <summary>Growth of Kestrel's free block pool per idle subscriber, bytes (part of <see cref="ManagedBytesPerSubscriber"/>: blocks a send burst left behind, not held by any connection).</summary>
    public double PooledBytesPerSubscriber { get; init; }

    /// <summary>Growth of the GC's committed memory per idle subscriber, bytes (of <see cref="ResidentBytesPerSubscriber"/>; the rest is native).</summary>
    public double CommittedBytesPerSubscriber { get; init; }

    /// <summary>Entries per second the publisher sent (stream scenarios).</summary>
    public double SentPerSecond { get; init; }

    /// <summary>Text-frame payload bytes received per delivered entry (stream scenarios): what one delivery costs on the wire.</summary>
    public double BytesPerDelivery { get; init; }

    /// <summary>Server CPU (user+system) per delivered entry over the measured phase, microseconds (stream scenarios).</summary>
    public double ServerMicrosecondsPerDelivery { get; init; }

    /// <summary>Server process CPU over the measured phase, percent of one core (stream scenarios).</summary>
    public double ServerCpuPercent { get; init; }

    /// <summary>How busy the server's core was over the measured phase, all processes on it, percent; NaN if unknown.</summary>
    public double ServerCoreBusyPercent { get; init; } = double.NaN;

    /// <summary>Subscribers that ended early or saw a gap (should be 0).</summary>
    public int Failures { get; init; }
}
