namespace Lifeline.Hub.Streaming;

/// <summary>Kinds of <see cref="QueueItem"/>.</summary>
internal enum QueueItemKind
{
    /// <summary>A frame to send.</summary>
    Frame,

    /// <summary>The queue overflowed: catch up from the store.</summary>
    Overflowed,

    /// <summary>A heartbeat is due.</summary>
    Heartbeat,

    /// <summary>A close was requested: send the close frame and end.</summary>
    Closed,

    /// <summary>The pump started a send that did not complete inline: await it (its result says whether the socket still works).</summary>
    HandedOver,
}
