using Lifeline.Protocol;

namespace Lifeline.Hub.Client;

/// <summary>Per-subscription settings of <see cref="LifelineHubClient.SubscribeAsync"/>.</summary>
public sealed class SubscribeOptions
{
    /// <summary>
    /// Called (on the enumerating thread, before the next entry) when the hub says an id range will never be sent
    /// (retention or overflow). The subscription continues after the gap.
    /// </summary>
    /// <value>Default <see langword="null"/>: gaps are skipped silently.</value>
    public Action<GapMessage>? OnGap { get; set; }

    /// <summary>How long the subscription may hear nothing (no entries, no heartbeat) before it treats the hub as dead and reconnects.</summary>
    /// <value>Default 65 seconds: a little over twice the hub's default 30-second heartbeat.</value>
    public TimeSpan InactivityTimeout { get; set; } = TimeSpan.FromSeconds(65);
}
