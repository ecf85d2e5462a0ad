using Lifeline.Client;

namespace Lifeline.Cli.Commands;

/// <summary>How <c>send</c> turns lines into entries and batches.</summary>
internal sealed record LogSenderOptions
{
    public string Level { get; init; } = "information";

    public string Source { get; init; } = "cli";

    /// <summary>Lines are entry objects rather than plain messages.</summary>
    public bool Ndjson { get; init; }

    /// <summary>Entries per request. Default 1000.</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>A request is closed early once its body reaches this size. Default 1 MiB (the hub takes up to 16 MiB).</summary>
    public int MaxBatchBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Batches read ahead of the one being sent. Memory is bounded by (this + 2) batches whatever the input size:
    /// when the hub is slower than standard input, reading stops (backpressure). Default 2.
    /// </summary>
    public int ReadAhead { get; init; } = 2;

    /// <summary>Attempts per batch on a transient failure. Default 10.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>
    /// The wait before each retry: the resilient client's backoff (full jitter, so many senders retrying after one outage
    /// spread out), with a ceiling from 250 ms doubling to 5 s. Its attempt limit is unused (<see cref="MaxAttempts"/> is).
    /// </summary>
    public ReconnectOptions Backoff { get; init; } = new() { BaseDelay = TimeSpan.FromMilliseconds(250), MaxDelay = TimeSpan.FromSeconds(5) };

    /// <summary>Sent in Idempotency-Key as <c>ClientId/batch</c>: a retried batch is stored once.</summary>
    public string ClientId { get; init; } = $"send-{Guid.NewGuid():N}";

    /// <summary>How often progress is shown on standard error. Default 1 s on a terminal, 5 s otherwise.</summary>
    public TimeSpan? ProgressInterval { get; init; }
}
