namespace Lifeline.Client;

/// <summary>The client's counters at one moment (the same figures as its <c>Lifeline.Client</c> meter).</summary>
public sealed record ClientMetricsSnapshot
{
    /// <summary>The state at the time of the snapshot.</summary>
    public ClientState State { get; init; }

    /// <summary>Connect attempts made (successful or not).</summary>
    public long ConnectionAttempts { get; init; }

    /// <summary>Successful connections.</summary>
    public long Connections { get; init; }

    /// <summary>Successful connections after the first (reconnects).</summary>
    public long Reconnects { get; init; }

    /// <summary>Errors reported through <see cref="LifelineClient.Error"/>.</summary>
    public long Errors { get; init; }

    /// <summary>Messages received.</summary>
    public long MessagesReceived { get; init; }

    /// <summary>Bytes received (message payloads).</summary>
    public long BytesReceived { get; init; }

    /// <summary>Messages written to the socket.</summary>
    public long MessagesSent { get; init; }

    /// <summary>Bytes written to the socket (message payloads).</summary>
    public long BytesSent { get; init; }

    /// <summary>Messages waiting in the send buffer now.</summary>
    public int BufferedSends { get; init; }

    /// <summary>Messages dropped because the buffer was full.</summary>
    public long SendsDropped { get; init; }

    /// <summary>Messages expired by <see cref="SendBufferOptions.TimeToLive"/>.</summary>
    public long SendsExpired { get; init; }

    /// <summary>Messages that failed (stop, fault, too large, connection lost while writing).</summary>
    public long SendsFailed { get; init; }

    /// <summary>The handshake round-trip time of the last successful connect (the one round trip <c>ClientWebSocket</c> exposes).</summary>
    public TimeSpan? LastRoundTripTime { get; init; }
}
