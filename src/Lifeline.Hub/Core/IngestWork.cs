using System.Threading.Channels;
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

    /// <summary>
    /// Hands a publish to a writer loop through <paramref name="ingest"/> and waits for its answer. A key already being
    /// answered, or answered within the cache's window, gets that answer (<c>Replayed</c>); a key whose publish failed is
    /// forgotten, so that its retry is tried again. Shared by the logs, whose writers differ.
    /// </summary>
    public static async Task<(PublishResult Result, bool Replayed)> SubmitAsync(ChannelWriter<IngestWork> ingest, IdempotencyCache idempotency, List<EntryFields> entries, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var work = new IngestWork(entries, idempotencyKey);
        if (idempotencyKey is not null && idempotency.GetOrAdd(idempotencyKey, work.Completion.Task) is { } remembered)
        {
            return (await remembered.WaitAsync(cancellationToken).ConfigureAwait(false), true);
        }

        try
        {
            await ingest.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (idempotencyKey is not null)
            {
                idempotency.Remove(idempotencyKey);
            }

            work.Completion.TrySetException(e);
            throw;
        }

        try
        {
            var result = await work.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return (result, work.Replayed);
        }
        catch when (idempotencyKey is not null && work.Completion.Task.IsFaulted)
        {
            // Not acknowledged: a retry is stored again (a cluster log finds the key in the engine if it was stored after all).
            idempotency.Remove(idempotencyKey);
            throw;
        }
    }
}
