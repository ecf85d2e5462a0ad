namespace Lifeline.Client;

/// <summary>What <see cref="LifelineClient.SendAsync(string, CancellationToken)"/> does when the send buffer is full.</summary>
public enum SendOverflowPolicy
{
    /// <summary>The new message is not buffered: its result is <see cref="SendStatus.Dropped"/> at once.</summary>
    Fail,

    /// <summary>The oldest buffered message is dropped (its result: <see cref="SendStatus.Dropped"/>) to make room.</summary>
    DropOldest,

    /// <summary>The sender waits (honouring its token) until there is room.</summary>
    Wait,
}

/// <summary>
/// The bounded buffer that holds messages sent while disconnected (and queued while connected), flushed in order once
/// <see cref="LifelineClientOptions.OnConnected"/> has finished after each (re)connect.
/// </summary>
public sealed class SendBufferOptions
{
    /// <summary>How many messages the buffer holds (not counting the one being written to the socket).</summary>
    /// <value>Default 1000. Must be at least 1.</value>
    public int Capacity { get; set; } = 1000;

    /// <summary>What happens to a send when the buffer is full.</summary>
    /// <value>Default <see cref="SendOverflowPolicy.Fail"/>.</value>
    public SendOverflowPolicy OverflowPolicy { get; set; } = SendOverflowPolicy.Fail;

    /// <summary>How long a message may wait in the buffer; older messages end as <see cref="SendStatus.Expired"/> instead of being sent.</summary>
    /// <value>Default <see langword="null"/>: no limit. Must be positive when set.</value>
    public TimeSpan? TimeToLive { get; set; }

    internal void Validate()
    {
        if (Capacity < 1)
        {
            throw new ArgumentException($"SendBuffer.Capacity must be at least 1; was {Capacity}.", "SendBuffer.Capacity");
        }

        if (!Enum.IsDefined(OverflowPolicy))
        {
            throw new ArgumentException($"SendBuffer.OverflowPolicy is not a known policy: {OverflowPolicy}.", "SendBuffer.OverflowPolicy");
        }

        if (TimeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SendBuffer.TimeToLive must be positive or null; was {ttl}.", "SendBuffer.TimeToLive");
        }
    }

    internal SendBufferOptions Clone() => (SendBufferOptions)MemberwiseClone();
}
