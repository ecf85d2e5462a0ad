using Lifeline.Protocol;

namespace Lifeline.Hub.Client.Shipping;

/// <summary>Publishes one batch of entries and completes once the hub has acknowledged it.</summary>
/// <remarks>
/// The shipper calls <see cref="PublishAsync"/> for one batch at a time. An implementation retries a batch across
/// reconnects itself, so that a batch that reached the store is never stored twice; it returns only when the batch
/// is acknowledged, throws <see cref="HubPublishRejectedException"/> when the hub refuses the batch as invalid,
/// and throws <see cref="OperationCanceledException"/> when its cancellation token fires.
/// </remarks>
internal interface ILogBatchPublisher : IAsyncDisposable
{
    /// <summary>Publishes <paramref name="entries"/> and waits for its acknowledgement.</summary>
    Task<PublishAck> PublishAsync(IReadOnlyList<LogEntry> entries, CancellationToken cancellationToken);
}
