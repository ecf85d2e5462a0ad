using Lifeline.Hub.Storage;

namespace Lifeline.Hub.Log;

/// <summary>
/// Where an <see cref="IEntryLog"/> hands what it committed. Called by one thread at a time, in id order:
/// <see cref="Publish"/> once per committed batch, then (after the batch's publishes were answered)
/// <see cref="Deliver"/>, so that acknowledgements never wait behind deliveries.
/// </summary>
internal interface ICommitSink
{
    /// <summary>Makes <paramref name="batch"/> (contiguous ids after every id published before) visible to subscribers.</summary>
    void Publish(IReadOnlyList<StoredEntry> batch);

    /// <summary>Sends what <see cref="Publish"/> queued for subscribers whose senders were idle. Never throws.</summary>
    void Deliver();
}
