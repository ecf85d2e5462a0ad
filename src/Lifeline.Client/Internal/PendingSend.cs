namespace Lifeline.Client.Internal;

/// <summary>One message on its way out; its task completes exactly once with the message's fate.</summary>
internal sealed class PendingSend
{
    private readonly TaskCompletionSource<SendResult> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PendingSend(byte[] payload, long enqueuedTimestamp)
    {
        Payload = payload;
        EnqueuedTimestamp = enqueuedTimestamp;
    }

    public byte[] Payload { get; }

    public long EnqueuedTimestamp { get; }

    /// <summary>Its place in the buffer while buffered (for O(1) removal on cancel or eviction); null otherwise.</summary>
    public LinkedListNode<PendingSend>? Node { get; set; }

    public Task<SendResult> Outcome => _outcome.Task;

    public bool TryComplete(SendResult result) => _outcome.TrySetResult(result);

    public bool TryCancel(CancellationToken token) => _outcome.TrySetCanceled(token);
}
