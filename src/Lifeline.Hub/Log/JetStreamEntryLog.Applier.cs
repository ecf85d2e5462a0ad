using System.Globalization;
using Lifeline.Hub.Storage;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lifeline.Hub.Log;

/// <summary>
/// The applier: the only code that feeds the mirror and the sink. It reads the stream in order with an ordered consumer
/// from the message after the last one applied (kept with the entries in the SQLite mirror, so a restart resumes), stores
/// each batch with its idempotency answers and position, then hands it to the sink: every node delivers the same ids in
/// the same order, the node that appended a batch included. When the engine goes away it reconnects and continues from
/// the same place. Mirror writes (here and the monitor's retention) are serialized by <see cref="_mirrorWrite"/>.
/// </summary>
internal sealed partial class JetStreamEntryLog
{
    /// <summary>The JetStream error code of a stream created again with another configuration.</summary>
    private const int StreamNameInUse = 10058;

    /// <summary>The longest wait between two tries to reconnect the consumer.</summary>
    private static readonly TimeSpan MaxConsumerBackoff = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Pulls that expire after 5 s with a heartbeat each second: the ordered consumer lives on one server, and when that
    /// server dies (a stream leader killed) the missing heartbeats make the client recreate it within about 2 s; with the
    /// defaults (30 s pulls, 15 s heartbeats) the mirror, and so every append on this node, would wait half a minute.
    /// </summary>
    private static readonly NatsJSConsumeOpts ConsumeOptions = new() { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(5), IdleHeartbeat = TimeSpan.FromSeconds(1) };

    private readonly SemaphoreSlim _mirrorWrite = new(1, 1);

    /// <summary>Completed once the applier found or created the stream.</summary>
    private readonly TaskCompletionSource _streamExists = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Owned by the applier loop.
    private readonly List<StoredEntry> _applyEntries = [];
    private readonly List<IdempotencyRecord> _applyKeys = [];
    private bool _streamReady;

    private async Task ApplierLoopAsync(CancellationToken stopping)
    {
        await Task.Yield();
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await EnsureStreamAsync(stopping).ConfigureAwait(false);
                var from = _applied.Value.Sequence + 1;
                var consumer = await _js.CreateOrderedConsumerAsync(
                    _options.ClusterStream,
                    new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence, OptStartSeq = (ulong)from },
                    stopping).ConfigureAwait(false);
                // Pooled bodies: a batch is up to the engine's max_payload (1 MiB), so a new array per message would be a
                // large-object allocation each time, which the GC zeroes and pays for with full collections over the
                // whole mirror. The applier reads each body once (LogBatchCodec copies what it keeps), then returns it.
                await foreach (var message in consumer.ConsumeAsync<NatsMemoryOwner<byte>>(opts: ConsumeOptions, cancellationToken: stopping).ConfigureAwait(false))
                {
                    using var body = message.Data;
                    await ApplyAsync(message, body.Memory).ConfigureAwait(false);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The engine is away (or the store failed): nothing was applied past _applied; start again from there.
                LogConsumerFailed(_logger, e, _applied.Value.Sequence);
                failures++;
                try
                {
                    await Task.Delay(TimeSpan.FromTicks(Math.Min(MaxConsumerBackoff.Ticks, RetryWait.Ticks * failures)), _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ApplyAsync(INatsJSMsg<NatsMemoryOwner<byte>> message, ReadOnlyMemory<byte> body)
    {
        var sequence = (long)(message.Metadata?.Sequence.Stream ?? 0);
        var (applied, appliedLastId) = _applied.Value;
        if (sequence <= applied)
        {
            return;
        }

        _applyEntries.Clear();
        _applyKeys.Clear();
        if (!TryReadFirstId(message.Headers, out var firstId))
        {
            // Not a hub's append (someone published on the stream's subject): it holds no entries.
            LogForeignMessage(_logger, sequence);
            _applied.Set(sequence, appliedLastId);
            return;
        }

        try
        {
            LogBatchCodec.Read(body.Span, firstId, _applyEntries, _applyKeys);
        }
        catch (InvalidDataException e)
        {
            LogUnreadableBatch(_logger, e, sequence);
            _applied.Set(sequence, appliedLastId);
            return;
        }

        await _mirrorWrite.WaitAsync().ConfigureAwait(false);
        try
        {
            var storeLast = _store.LastId;
            if (_applyEntries.Count == 0 || _applyEntries[^1].Id <= storeLast)
            {
                // A message with no entries, or a batch the mirror stored before a restart whose position was not yet kept.
                _applied.Set(sequence, storeLast);
                return;
            }

            if (firstId <= storeLast)
            {
                // Overlapping ids cannot come from hubs (each append expects the sequence before it): kept out of the mirror.
                LogUnreadableBatch(_logger, new InvalidDataException($"first id {firstId} overlaps the mirror's last id {storeLast}"), sequence);
                _applied.Set(sequence, storeLast);
                return;
            }

            if (firstId > storeLast + 1)
            {
                // The stream's retention removed what this node never had (it starts empty, or was away longer than max_age).
                LogMirrorJump(_logger, storeLast, firstId);
                await _store.DeleteBeforeAsync(firstId, CancellationToken.None).ConfigureAwait(false);
            }

            await _store.AppendMirroredAsync(_applyEntries, _applyKeys, sequence, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _mirrorWrite.Release();
        }

        // Keys before the position (the writer reads the position, then the keys), the position before the acks.
        _committed.Restore(_applyKeys);
        var lastId = _applyEntries[^1].Id;
        Volatile.Write(ref _committedId, lastId);
        try
        {
            _sink.Publish(_applyEntries);
            _metrics.Ingested(_applyEntries.Count);
        }
        finally
        {
            _applied.Set(sequence, lastId);

            // After the acks, and even if the sink failed half-way: a subscriber it claimed must be served.
            _sink.Deliver();
        }
    }

    /// <summary>Creates the stream when it is missing (every node may: the same config is accepted twice).</summary>
    private async Task EnsureStreamAsync(CancellationToken cancellationToken)
    {
        if (_streamReady)
        {
            return;
        }

        var config = new StreamConfig(_options.ClusterStream, [_options.ClusterSubject])
        {
            NumReplicas = _options.ClusterReplicas,
            Storage = StreamConfigStorage.File,
            Discard = StreamConfigDiscard.Old,
            MaxAge = _options.RetentionMaxAge ?? TimeSpan.Zero,
            MaxBytes = _options.RetentionMaxBytes ?? -1,
        };
        INatsJSStream stream;
        try
        {
            stream = await _js.CreateStreamAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == StreamNameInUse)
        {
            // It exists with another configuration (an operator changed it, or another node runs other options): used as it is.
            stream = await _js.GetStreamAsync(_options.ClusterStream, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogStreamConfigDiffers(_logger, _options.ClusterStream, stream.Info.Config.NumReplicas);
        }

        _streamReady = true;
        _streamExists.TrySetResult();
    }

    private static bool TryReadFirstId(NatsHeaders? headers, out long firstId)
    {
        firstId = 0;
        return headers is not null
            && headers.TryGetValue(LogBatchCodec.FirstIdHeader, out var value)
            && long.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out firstId)
            && firstId > 0;
    }
}
