using System.Globalization;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lifeline.Hub.Log;

/// <summary>
/// The monitor: every <see cref="HubOptions.ClusterStatusInterval"/> it asks the engine for the stream's state (leader,
/// first and last sequence) for <see cref="Engine"/>, and makes the mirror follow the stream's retention: once the
/// stream's first message moved past ids, the mirror drops them too, so a subscriber's <c>gap</c> names the same ids on
/// every node.
/// </summary>
internal sealed partial class JetStreamEntryLog
{
    private const int NoMessageFound = 10037;

    // Written by the monitor (and _streamLast by the writer too), read by Engine.
    private string? _leader;
    private long _streamFirst;
    private long _streamLast;
    private long _engineSeen;

    // Owned by the monitor.
    private long _retainedFirst;

    /// <summary>The engine's and the mirror's state now.</summary>
    public EngineStatus Engine
    {
        get
        {
            var applied = _applied.Value.Sequence;
            var last = Math.Max(Interlocked.Read(ref _streamLast), 0);
            var connected = _nats.ConnectionState == NatsConnectionState.Open;
            var known = Interlocked.Read(ref _engineSeen) != 0;
            var servers = KnownServers();
            return new EngineStatus(_options.ClusterNodeName, connected, Volatile.Read(ref _leader), Interlocked.Read(ref _streamFirst), last, applied, connected && known && applied >= last, Interlocked.Read(ref _racesLost))
            {
                Servers = servers,
                ConnectedServer = connected ? _nats.ServerInfo?.Name : null,
                ConnectedUrl = connected ? ConnectedUrl(servers, Volatile.Read(ref _dialed)) : null,
            };
        }
    }

    /// <summary>
    /// Asks the engine for the stream's state, then waits until the mirror applied its last sequence (and the mirror
    /// follows the stream's retention as of then). Tests and <c>/healthz</c> callers use it instead of the monitor's timer.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await _streamExists.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await RefreshUntilAnsweredAsync(cancellationToken).ConfigureAwait(false);
        await _applied.WaitForAsync(Interlocked.Read(ref _streamLast), cancellationToken).ConfigureAwait(false);
        await RefreshUntilAnsweredAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="RefreshAsync"/>, asked again while the engine gives no answer (a stream just created, or electing a
    /// leader, leaves its API requests unanswered for a moment) until <paramref name="cancellationToken"/> ends it.
    /// </summary>
    private async Task RefreshUntilAnsweredAsync(CancellationToken cancellationToken)
    {
        // Also ended by the log's stop, so a caller without a deadline never leaves this loop behind.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        cancellationToken = linked.Token;
        while (true)
        {
            try
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NatsJSApiNoResponseException e)
            {
                LogStatusFailed(_logger, e.Message);
                await Task.Delay(RetryWait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task MonitorLoopAsync(CancellationToken stopping)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(_options.ClusterStatusInterval, _time);
        try
        {
            do
            {
                try
                {
                    await RefreshAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    // The engine is away: the state says so (not connected, or not caught up), and the next tick asks again.
                    LogStatusFailed(_logger, e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var stream = await _js.GetStreamAsync(_options.ClusterStream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var state = stream.Info.State;
        Volatile.Write(ref _leader, stream.Info.Cluster?.Leader);
        Interlocked.Exchange(ref _streamFirst, (long)state.FirstSeq);
        InterlockedMax(ref _streamLast, (long)state.LastSeq);
        Interlocked.Exchange(ref _engineSeen, _time.GetTimestamp());
        await FollowRetentionAsync(stream, (long)state.FirstSeq, (long)state.LastSeq, state.Messages, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops from the mirror the ids before the stream's first retained message.</summary>
    private async Task FollowRetentionAsync(INatsJSStream stream, long firstSequence, long lastSequence, long messages, CancellationToken cancellationToken)
    {
        if (firstSequence <= _retainedFirst)
        {
            return;
        }

        long keepFrom;
        if (messages == 0)
        {
            // Everything expired: what the mirror applied is all gone, provided it applied everything there was.
            var (applied, lastId) = _applied.Value;
            if (applied < lastSequence)
            {
                return;
            }

            keepFrom = lastId + 1;
        }
        else
        {
            StreamMsgGetResponse first;
            try
            {
                first = await stream.GetAsync(new StreamMsgGetRequest { Seq = (ulong)firstSequence }, cancellationToken).ConfigureAwait(false);
            }
            catch (NatsJSApiException e) when (e.Error.ErrCode == NoMessageFound)
            {
                // Expired between the two requests: the next tick sees the new first message.
                return;
            }

            if (ParseFirstId(first.Message.Hdrs) is not { } id)
            {
                return;
            }

            keepFrom = id;
        }

        await _mirrorWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Never past what the mirror has: the applier stores the rest when it gets there (and jumps if it must).
            keepFrom = Math.Min(keepFrom, _store.LastId + 1);
            var oldest = _store.OldestId;
            if (keepFrom > oldest)
            {
                await _store.DeleteBeforeAsync(keepFrom, cancellationToken).ConfigureAwait(false);
                LogRetention(_logger, oldest, keepFrom - 1);
            }
        }
        finally
        {
            _mirrorWrite.Release();
        }

        _retainedFirst = firstSequence;
    }

    /// <summary>The first id in a stored message's headers (base64 of the NATS header block), or <see langword="null"/>.</summary>
    private static long? ParseFirstId(string? base64Headers)
    {
        if (base64Headers is null)
        {
            return null;
        }

        var block = Encoding.ASCII.GetString(Convert.FromBase64String(base64Headers));
        foreach (var line in block.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(LogBatchCodec.FirstIdHeader, StringComparison.OrdinalIgnoreCase)
                && long.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return id;
            }
        }

        return null;
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
