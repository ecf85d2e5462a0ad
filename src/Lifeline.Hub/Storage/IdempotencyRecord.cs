using Lifeline.Protocol;

namespace Lifeline.Hub.Storage;

/// <summary>
/// The answer an idempotent ingest got (docs/protocol.md, "Retries without duplicates"): its key, the ids it was given,
/// and when (UTC ticks of the hub's TimeProvider). A durable store commits it in the same transaction as the entries, so
/// a retry after a restart gets this answer instead of storing the entries again. Immutable.
/// </summary>
internal sealed record IdempotencyRecord(string Key, PublishResult Result, long ReceivedTicks);
