namespace Lifeline.Client;

/// <summary>The fate of one message given to <see cref="LifelineClient.SendAsync(string, CancellationToken)"/>.</summary>
public enum SendStatus
{
    /// <summary>Written to the socket (handed to the OS; not an acknowledgement by the server).</summary>
    Sent,

    /// <summary>Not sent because the buffer was full (<see cref="SendOverflowPolicy.Fail"/> or <see cref="SendOverflowPolicy.DropOldest"/>).</summary>
    Dropped,

    /// <summary>Not sent because it waited in the buffer longer than <see cref="SendBufferOptions.TimeToLive"/>.</summary>
    Expired,

    /// <summary>Not sent, or not known to be sent: the client stopped or faulted, the message is too large, or the connection failed while it was being written.</summary>
    Failed,
}

/// <summary>The outcome of one send: a <see cref="SendStatus"/> and, unless it was sent, why.</summary>
/// <param name="Status">What happened to the message.</param>
/// <param name="Reason">Why it was not sent; <see langword="null"/> when <see cref="Status"/> is <see cref="SendStatus.Sent"/>.</param>
public readonly record struct SendResult(SendStatus Status, string? Reason)
{
    /// <summary>The result of a message written to the socket.</summary>
    public static SendResult Sent { get; } = new(SendStatus.Sent, null);

    /// <summary>Whether the message was written to the socket.</summary>
    public bool IsSent => Status == SendStatus.Sent;
}
