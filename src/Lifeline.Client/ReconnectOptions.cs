namespace Lifeline.Client;

/// <summary>
/// When to try again after a failed connect or a lost connection: exponential backoff with full jitter
/// (a delay drawn uniformly from [0, min(<see cref="MaxDelay"/>, <see cref="BaseDelay"/> × 2^(attempt-1))]), an optional
/// attempt limit, and an optional <see cref="Policy"/> that replaces the computation.
/// </summary>
public sealed class ReconnectOptions
{
    /// <summary>The backoff ceiling of the first retry.</summary>
    /// <value>Default 1 second. Must be at least zero.</value>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The cap on any backoff delay.</summary>
    /// <value>Default 30 seconds. Must be at least <see cref="BaseDelay"/>.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many retries in a row (without a successful connection in between) before the client gives up and faults.</summary>
    /// <value>Default <see langword="null"/>: retry forever. Must be at least 1 when set.</value>
    public int? MaxAttempts { get; set; }

    /// <summary>
    /// Decides each retry: returns the delay before the next attempt, or <see langword="null"/> to stop (the client faults).
    /// Called on the client's loop; it must be quick and must not throw (a throw counts as <see langword="null"/>).
    /// </summary>
    /// <value>Default <see langword="null"/>: use <see cref="ReconnectContext.DefaultDelay"/> (jittered exponential backoff).</value>
    public Func<ReconnectContext, TimeSpan?>? Policy { get; set; }

    /// <summary>Test seam: a source of jitter in [0, 1]. Default <see cref="Random.Shared"/>.</summary>
    internal Func<double>? Jitter { get; set; }

    /// <summary>
    /// The backoff delay before retry <paramref name="attempt"/> (1 for the first retry): drawn uniformly from
    /// [0, min(<see cref="MaxDelay"/>, <see cref="BaseDelay"/> × 2^(attempt-1))]. The client's own reconnects use it, and
    /// so can any other retry that should back off the same way (the <c>lifeline send</c> command's does). Thread-safe.
    /// </summary>
    /// <param name="attempt">The retry's number, from 1.</param>
    /// <returns>The delay to wait before that attempt.</returns>
    public TimeSpan GetBackoffDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var ceiling = BaseDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 62));
        var capped = Math.Min(ceiling, MaxDelay.Ticks);
        var jitter = Jitter?.Invoke() ?? Random.Shared.NextDouble();
        return TimeSpan.FromTicks((long)(capped * Math.Clamp(jitter, 0, 1)));
    }

    internal void Validate()
    {
        if (BaseDelay < TimeSpan.Zero)
        {
            throw new ArgumentException($"Reconnect.BaseDelay must be at least zero; was {BaseDelay}.", "Reconnect.BaseDelay");
        }

        if (MaxDelay < BaseDelay)
        {
            throw new ArgumentException($"Reconnect.MaxDelay must be at least Reconnect.BaseDelay ({BaseDelay}); was {MaxDelay}.", "Reconnect.MaxDelay");
        }

        if (MaxAttempts is < 1)
        {
            throw new ArgumentException($"Reconnect.MaxAttempts must be at least 1 or null; was {MaxAttempts}.", "Reconnect.MaxAttempts");
        }
    }

    internal ReconnectOptions Clone() => (ReconnectOptions)MemberwiseClone();
}
