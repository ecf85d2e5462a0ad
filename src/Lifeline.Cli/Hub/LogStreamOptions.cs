namespace Lifeline.Cli.Hub;

/// <summary>How a <see cref="LogStreamSubscriber"/> subscribes and reconnects.</summary>
internal sealed record LogStreamOptions
{
    public StreamFilter Filter { get; init; } = StreamFilter.All;

    /// <summary>Resume position: entries with a larger id. Null: start at the newest entries (see <see cref="Backlog"/>).</summary>
    public long? After { get; init; }

    /// <summary>Without <see cref="After"/>: also show up to this many of the newest ids before following. Default 10.</summary>
    public int Backlog { get; init; } = 10;

    /// <summary>Keep streaming live entries; otherwise end once catch-up reaches the live stream.</summary>
    public bool Follow { get; init; }

    /// <summary>Sent as <c>clientId</c> so the hub counts this client's reconnects.</summary>
    public string ClientId { get; init; } = $"cli-{Guid.NewGuid():N}"[..16];

    /// <summary>First reconnect delay; doubles per failed attempt up to <see cref="MaxReconnectDelay"/>, with jitter. Default 250 ms.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Default 10 s.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
