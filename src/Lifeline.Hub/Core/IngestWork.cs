using Lifeline.Protocol;

namespace Lifeline.Hub.Core;

/// <summary>One validated ingest (an HTTP request or a publish message) waiting for the writer loop.</summary>
internal sealed class IngestWork(List<EntryFields> entries, string? idempotencyKey)
{
    public List<EntryFields> Entries { get; } = entries;

    /// <summary>The key a retry repeats (<c>Idempotency-Key</c>, or <c>clientId/ref</c>); its answer is stored with the entries.</summary>
    public string? IdempotencyKey { get; } = idempotencyKey;

    /// <summary>Completed by the writer once every entry is in the store.</summary>
    public TaskCompletionSource<PublishResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set by the writer when it assigns ids; reported once the batch is committed.</summary>
    public PublishResult? Result { get; set; }

    /// <summary>Set by a cluster log when the key was found already stored by the engine (the answer is the first one: <c>Replayed</c>).</summary>
    public bool Replayed { get; set; }
}
