using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Lifeline.Hub.Core;
using Lifeline.Protocol;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lifeline.Hub.Log;

/// <summary>
/// The writer: the only code that appends to the stream. One batch at a time: everything pending (coalesced as in
/// <see cref="LocalEntryLog"/>) becomes one message, appended only if the stream's last sequence is still the one this
/// node knows: the mirror's, or this node's own last append when that is ahead of the mirror. The ids in it were
/// assigned from that position's last id, so a successful append has exactly those ids in the stream's order; a failed
/// one (another node appended first) is rebuilt once the mirror applied the winner, after the keys it stored are
/// answered from it. An acked batch is handed to the acker loop, which answers its publishers once the mirror applied
/// it; the writer goes on with the next batch meanwhile, so this node's mirror is not on the path of its appends.
/// </summary>
internal sealed partial class JetStreamEntryLog
{
    /// <summary>The JetStream error code of an append whose <c>Nats-Expected-Last-Sequence</c> was not the stream's last sequence.</summary>
    internal const int WrongLastSequence = 10071;

    /// <summary>The JetStream error code of a message larger than the stream's or the server's limit.</summary>
    private const int MessageTooLarge = 10054;

    /// <summary>The most entries one message takes: bounds a batch's memory and the time acks wait behind it.</summary>
    private const int MaxBatchEntries = 50_000;

    /// <summary>Room left under the engine's <c>max_payload</c> for the message's headers (first id, message id, expectation).</summary>
    private const int HeaderRoom = 512;

    /// <summary>Room per request for its count and key (a key is a client id and a ref, or an Idempotency-Key header).</summary>
    private const int RequestRoom = 300;

    /// <summary>What a batch may take when the server did not say (NATS's default <c>max_payload</c>, 1 MiB).</summary>
    private const int DefaultMaxPayload = 1 << 20;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReconnectWait = TimeSpan.FromMilliseconds(250);

    /// <summary>Between two tries of an append the engine did not answer: a leader election takes seconds, so a few tries fit a deadline.</summary>
    private static readonly TimeSpan RetryWait = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Acked batches waiting for the mirror to apply them before their publishers are answered, in append order. Bounded
    /// like the ingest queue: a mirror that stops applying while the engine acks holds the writer back, not memory.
    /// </summary>
    private readonly Channel<(long Sequence, IngestWork[] Works)> _acks = Channel.CreateBounded<(long, IngestWork[])>(new BoundedChannelOptions(IngestQueueCapacity) { SingleReader = true, SingleWriter = true });

    // Owned by the writer loop.
    private readonly ArrayBufferWriter<byte> _body = new(64 << 10);

    /// <summary>
    /// The stream position right after this node's last acked append (its sequence and last id), ahead of the mirror
    /// until the applier catches up. Appending after it is right only while no other node appended since, which the
    /// engine checks (<c>Nats-Expected-Last-Sequence</c>); by induction every message up to it is applied or this node's.
    /// </summary>
    private (long Sequence, long LastId) _ownTail;
    private readonly ArrayBufferWriter<byte> _entries = new(64 << 10);
    private readonly ArrayBufferWriter<byte> _scratch = new(1024);
    private long _batches;
    private long _racesLost;

    /// <summary>Raised on the writer loop when the engine refused an append because another node's came first (for tests; must not throw).</summary>
    internal event Action? RaceLost;

    private async Task WriterLoopAsync(CancellationToken stopping)
    {
        await Task.Yield();
        using var json = new Utf8JsonWriter(_scratch);
        var pending = new List<IngestWork>();
        while (pending.Count > 0 || await _ingest.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var entries = 0;
            foreach (var w in pending)
            {
                entries += w.Entries.Count;
            }

            while (entries < MaxBatchEntries && _ingest.Reader.TryRead(out var work))
            {
                pending.Add(work);
                entries += work.Entries.Count;
            }

            try
            {
                await CommitAsync(pending, json, stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The loop must survive: nothing of what was taken is acked; the publishers are answered with the error.
                LogAppendFailed(_logger, e, pending.Count);
                var failure = e is OperationCanceledException ? new EngineUnavailableException("the hub stopped before the engine answered", e) : e;
                foreach (var w in pending)
                {
                    w.Completion.TrySetException(failure);
                }

                pending.Clear();
            }
        }

        // At this point every publish the writer took is answered or handed to the acker: nothing more will be.
        _acks.Writer.TryComplete();
    }

    /// <summary>
    /// Answers each acked batch's publishers, in append order, once this node's mirror applied it (so a publisher that
    /// reads this node next finds its entries). Ends when the writer ended and every batch it handed over is answered.
    /// </summary>
    private async Task AckerLoopAsync()
    {
        await Task.Yield();
        await foreach (var (sequence, works) in _acks.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            // Most batches are applied by the time they are taken here: a deadline (a timer) only for those that are not.
            if (_applied.Value.Sequence < sequence)
            {
                using var deadline = new CancellationTokenSource(_options.ClusterAppendTimeout, _time);
                await WaitForApplyAsync(sequence, deadline.Token).ConfigureAwait(false);
            }

            foreach (var w in works)
            {
                w.Completion.TrySetResult(w.Result!);
            }
        }
    }

    /// <summary>
    /// Appends the first publishes of <paramref name="pending"/> that fit one message and answers them; removes them (and
    /// those answered from the stream) from the list, leaving what did not fit for the next batch.
    /// </summary>
    private async Task CommitAsync(List<IngestWork> pending, Utf8JsonWriter json, CancellationToken stopping)
    {
        using var deadline = new CancellationTokenSource(_options.ClusterAppendTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
        try
        {
            var taken = -1;
            while (true)
            {
                // The position first, then the keys: the applier records a message's keys before it moves the position,
                // so every key stored up to `sequence` is seen below.
                var (sequence, lastId) = _applied.Value;
                if (_ownTail.Sequence > sequence)
                {
                    (sequence, lastId) = _ownTail;
                }

                if (AnswerFromStream(pending))
                {
                    taken = -1;
                }

                if (pending.Count == 0)
                {
                    return;
                }

                // Sequence 0 (an empty mirror) is checked too: on a stream that is not empty the append is refused, and
                // retried once the mirror caught up, as any lost race.
                // A body holds no ids: after a lost race it is sent again as it is, under the new first id.
                if (taken < 0)
                {
                    taken = Encode(pending, json);
                }

                AssignIds(pending, taken, lastId + 1);
                var messageId = $"{_options.ClusterNodeName}-{RunId}-{++_batches}";
                var (acked, streamLast) = await PublishAsync(lastId + 1, sequence, messageId, linked.Token).ConfigureAwait(false);
                if (acked == 0)
                {
                    // Another node appended first: once the mirror has its message, the keys are checked again.
                    Interlocked.Increment(ref _racesLost);
                    RaceLost?.Invoke();
                    await _applied.WaitForAsync(Math.Max(streamLast, sequence + 1), linked.Token).ConfigureAwait(false);
                    continue;
                }

                _ownTail = (acked, pending[taken - 1].Result!.LastId);
                var answered = CollectionsMarshal.AsSpan(pending)[..taken].ToArray();
                pending.RemoveRange(0, taken);
                await _acks.Writer.WriteAsync((acked, answered), CancellationToken.None).ConfigureAwait(false);
                return;
            }
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            throw new EngineUnavailableException($"the engine did not take the append within {_options.ClusterAppendTimeout.TotalSeconds:0.#} s", e);
        }
    }

    /// <summary>Answers the publishes whose key the stream already holds (from any node), and the empty ones; returns whether it answered any.</summary>
    private bool AnswerFromStream(List<IngestWork> pending)
    {
        return pending.RemoveAll(w =>
        {
            if (w.Entries.Count == 0)
            {
                // An empty batch stores nothing, so its retry stores nothing either.
                w.Completion.TrySetResult(new PublishResult(0, 0, 0));
                return true;
            }

            if (w.IdempotencyKey is { } key && _committed.TryGet(key) is { IsCompletedSuccessfully: true } stored)
            {
                w.Replayed = true;
                w.Completion.TrySetResult(stored.Result);
                return true;
            }

            return false;
        }) > 0;
    }

    /// <summary>
    /// Encodes the first publishes of <paramref name="pending"/> that fit the engine's <c>max_payload</c> into
    /// <see cref="_body"/>; returns how many it took.
    /// </summary>
    private int Encode(List<IngestWork> pending, Utf8JsonWriter json)
    {
        var limit = (_nats.ServerInfo?.MaxPayload is > 0 and var max ? max : DefaultMaxPayload) - HeaderRoom;
        var now = _time.GetUtcNow();
        _entries.ResetWrittenCount();
        var fits = 0;
        var taken = 0;
        foreach (var w in pending)
        {
            LogBatchCodec.WriteEntries(_entries, w.Entries, now, _scratch, json);
            if (_entries.WrittenCount + (RequestRoom * (taken + 1)) > limit)
            {
                if (taken == 0)
                {
                    // One publish larger than a message may be: refused whole (all or nothing), never split.
                    var error = new ProtocolException(ErrorCodes.TooLarge, $"the publish encodes to {_entries.WrittenCount} bytes, over the cluster engine's max_payload ({limit + HeaderRoom} bytes)");
                    w.Completion.TrySetException(error);
                    pending.RemoveAt(0);
                    return pending.Count == 0 ? 0 : Encode(pending, json);
                }

                break;
            }

            fits = _entries.WrittenCount;
            taken++;
        }

        _body.ResetWrittenCount();
        LogBatchCodec.WriteStart(_body, now.UtcTicks, taken);
        for (var i = 0; i < taken; i++)
        {
            LogBatchCodec.WriteRequest(_body, pending[i].Entries.Count, pending[i].IdempotencyKey);
        }

        _body.Write(_entries.WrittenSpan[..fits]);
        return taken;
    }

    /// <summary>The answers of the first <paramref name="taken"/> publishes if their message gets ids from <paramref name="firstId"/>.</summary>
    private static void AssignIds(List<IngestWork> pending, int taken, long firstId)
    {
        var id = firstId;
        for (var i = 0; i < taken; i++)
        {
            var count = pending[i].Entries.Count;
            pending[i].Result = new PublishResult(count, id, id + count - 1);
            id += count;
        }
    }

    /// <summary>
    /// Appends <see cref="_body"/> expecting <paramref name="expectedLast"/> as the stream's last sequence. Returns the
    /// sequence the engine stored it at, or 0 and the stream's last sequence (0 when not said) when another append came
    /// first. An unanswered try is sent again with the same message id: if the first was stored after all, the engine
    /// answers the retry with its sequence (it checks duplicates before the expected sequence).
    /// </summary>
    private async Task<(long Acked, long StreamLast)> PublishAsync(long firstId, long expectedLast, string messageId, CancellationToken cancellationToken)
    {
        // RetryAttempts counts sends (0 would send nothing); the loop below does the retrying, with the same message id.
        var opts = new NatsJSPubOpts { ExpectedLastSequence = (ulong)expectedLast, MsgId = messageId, RetryAttempts = 1 };
        var body = _body.WrittenMemory;
        while (true)
        {
            var headers = new NatsHeaders { [LogBatchCodec.FirstIdHeader] = firstId.ToString(CultureInfo.InvariantCulture) };
            Exception? failure;
            try
            {
                var result = await _js.TryPublishAsync(_options.ClusterSubject, body, opts: opts, headers: headers, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (result.Success)
                {
                    // EnsureSuccess() would throw on a duplicate, which is this append's own earlier try: a success at Seq.
                    var ack = result.Value;
                    switch (ack.Error)
                    {
                        case null:
                            InterlockedMax(ref _streamLast, (long)ack.Seq);
                            Interlocked.Exchange(ref _engineSeen, _time.GetTimestamp());
                            return ((long)ack.Seq, 0);
                        case { ErrCode: WrongLastSequence } error:
                            return (0, ParseLastSequence(error.Description));
                        case { ErrCode: MessageTooLarge } error:
                            throw new ProtocolException(ErrorCodes.TooLarge, "the cluster engine refused the publish as too large: " + error.Description);
                        case var error:
                            failure = new NatsJSApiException(error);
                            break;
                    }
                }
                else
                {
                    failure = result.Error;
                }
            }
            catch (NatsException e)
            {
                failure = e;
            }

            LogAppendRetry(_logger, messageId, failure.Message);
            await Task.Delay(RetryWait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the mirror applied <paramref name="sequence"/>, so a publisher that reads this node next finds its entries.</summary>
    private async Task WaitForApplyAsync(long sequence, CancellationToken cancellationToken)
    {
        try
        {
            await _applied.WaitForAsync(sequence, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The engine acked (the entries are replicated): the answer stands even if the mirror lags behind the deadline.
            LogAnsweredBeforeApply(_logger, sequence);
        }
    }

    /// <summary>The stream's last sequence from the engine's "wrong last sequence: N" description; 0 when it does not say.</summary>
    private static long ParseLastSequence(string? description)
    {
        var colon = description?.LastIndexOf(':') ?? -1;
        return colon >= 0 && long.TryParse(description.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last : 0;
    }
}
