namespace Lifeline.Hub.Streaming;

/// <summary>What <see cref="SubscriberQueue.TakeAsync"/> returns to the send loop.</summary>
internal readonly record struct QueueItem(QueueItemKind Kind, SharedFrame? Frame, Task<bool>? PendingSend)
{
    public static QueueItem Closed => new(QueueItemKind.Closed, null, null);

    public static QueueItem Overflowed => new(QueueItemKind.Overflowed, null, null);

    public static QueueItem Heartbeat => new(QueueItemKind.Heartbeat, null, null);

    public static QueueItem Of(SharedFrame frame) => new(QueueItemKind.Frame, frame, null);

    public static QueueItem HandedOver(Task<bool> pendingSend) => new(QueueItemKind.HandedOver, null, pendingSend);
}
