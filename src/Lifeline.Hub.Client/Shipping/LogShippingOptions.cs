using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Client.Shipping;

/// <summary>
/// How application logs are shipped to a hub: where, with which key, and how they are buffered and batched.
/// Shared by the <c>Lifeline.Extensions.Logging</c> provider and the <c>Lifeline.Serilog</c> sink.
/// </summary>
/// <remarks>
/// Options are read once, when the provider or sink is created; later changes have no effect.
/// Memory is bounded by <see cref="BufferCapacity"/> waiting entries plus one batch of at most
/// <see cref="MaxBatchSize"/> entries being published.
/// </remarks>
public class LogShippingOptions
{
    /// <summary>The hub's base address, e.g. <c>http://localhost:5000/</c>; <c>ws</c>/<c>wss</c> are accepted too.</summary>
    /// <value>Required; no default.</value>
    public Uri? Url { get; set; }

    /// <summary>An API key with the <c>write</c> scope, sent as a bearer header.</summary>
    /// <value>Default <see langword="null"/>: no key (for a hub run with <c>--no-auth</c>).</value>
    public string? ApiKey { get; set; }

    /// <summary>A stable id for this process, so the hub recognises a retried batch (ref + clientId) and counts reconnects.</summary>
    /// <value>Default <see langword="null"/>: a random id per provider or sink instance.</value>
    public string? ClientId { get; set; }

    /// <summary>Entries that may wait to be published. When full, the oldest waiting entry is dropped and counted.</summary>
    /// <value>Default 10,000. At least 1.</value>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>Most entries in one published batch.</summary>
    /// <value>Default 500. At least 1.</value>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>How long the first waiting entry may wait for a batch to fill before the batch is published anyway.</summary>
    /// <value>Default 1 second. Zero publishes as soon as anything is waiting. Not negative.</value>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long disposing waits for every buffered entry to be acknowledged before it gives up on the rest.</summary>
    /// <value>Default 5 seconds. Positive.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>source</c> of the summary entry sent after entries were dropped.</summary>
    /// <value>Default <c>"Lifeline"</c>.</value>
    public string SummarySource { get; set; } = "Lifeline";

    /// <summary>The clock for batching, retry back-off and the shutdown deadline.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the shipper reports its own trouble (hub unreachable, rejected entries). Never the shipped logs' own pipeline.</summary>
    /// <value>Default <see langword="null"/>: silent.</value>
    public ILoggerFactory? DiagnosticsLoggerFactory { get; set; }

    /// <summary>
    /// Where the <c>Lifeline.Shipping</c> meter (and the underlying client's <c>Lifeline.Client</c> meter) come from: the
    /// host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>, so its telemetry sees them like its own meters.
    /// <c>AddLifeline</c> takes the host's factory when this is not set.
    /// </summary>
    /// <value>Default <see langword="null"/>: one process-wide <c>Lifeline.Shipping</c> meter.</value>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>Adjusts the underlying <see cref="Lifeline.Client.LifelineClient"/> (timeouts, reconnect back-off, its own logging).</summary>
    /// <value>Default <see langword="null"/>.</value>
    public Action<Lifeline.Client.LifelineClientOptions>? ConfigureClient { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentException">An option is out of range or missing.</exception>
    public virtual void Validate()
    {
        if (Url is null)
        {
            throw new ArgumentException($"{nameof(Url)} is required: the hub's base address, e.g. http://localhost:5000/.", nameof(Url));
        }

        if (!Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            throw new ArgumentException($"{nameof(Url)} must be an absolute http, https, ws or wss address; got '{Url}'.", nameof(Url));
        }

        if (BufferCapacity < 1)
        {
            throw new ArgumentException($"{nameof(BufferCapacity)} must be at least 1; got {BufferCapacity}.", nameof(BufferCapacity));
        }

        if (MaxBatchSize < 1)
        {
            throw new ArgumentException($"{nameof(MaxBatchSize)} must be at least 1; got {MaxBatchSize}.", nameof(MaxBatchSize));
        }

        if (BatchInterval < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(BatchInterval)} must not be negative; got {BatchInterval}.", nameof(BatchInterval));
        }

        if (ShutdownTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(ShutdownTimeout)} must be positive; got {ShutdownTimeout}.", nameof(ShutdownTimeout));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(SummarySource);
    }
}
