using Lifeline.Protocol;

namespace Lifeline.Cli.Hub;

/// <summary>What <see cref="LogTail"/> reads: a filter, a start position, and whether to follow.</summary>
internal sealed record TailOptions
{
    /// <summary>Level, sources and text; <see cref="LogFilter.After"/> is ignored (see <see cref="After"/>).</summary>
    public LogFilter Filter { get; init; } = LogFilter.All;

    /// <summary>Start position: entries with a larger id. Null: start <see cref="Backlog"/> ids before the newest.</summary>
    public long? After { get; init; }

    /// <summary>Without <see cref="After"/>: how many of the newest ids to show first. Default 10.</summary>
    public int Backlog { get; init; } = 10;

    /// <summary>After the history, stream live entries until cancelled, across reconnects.</summary>
    public bool Follow { get; init; }

    /// <summary>Sent as <c>clientId</c>, so the hub counts this client's reconnects.</summary>
    public string ClientId { get; init; } = $"cli-{Guid.NewGuid():N}"[..16];

    /// <summary>First reconnect delay of a follow (the hub's <c>retryAfterMs</c> wins after a 1001). Default 250 ms.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Default 10 s.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
