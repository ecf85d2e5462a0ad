using System.Net.WebSockets;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Log;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Streaming;

/// <summary>
/// A <c>/v1/stream</c> subscriber (docs/protocol.md, "Resume semantics"). The send loop owns the positions:
/// <see cref="_lastSent"/> is the id through which this subscriber has been served (the largest id sent, a gap's end,
/// or the start position) and is the resume position of its close reasons; <see cref="_scanned"/> is the id through
/// which the store or the live stream has been examined for it. The seam: the queue starts accepting under the hub's
/// fan-out lock, which returns the marker M; the store is read through M; every queued frame holds ids &gt; M.
/// </summary>
internal sealed partial class Subscriber : HubConnection, IFrameSender
{
    private const int PageSize = 2_000;
    private readonly FanOut _fanOut;
    private readonly IEntryLog _log;
    private readonly long? _after;
    private long _lastSent;
    private long _scanned;
    private bool _liveSent;

    // The send loop's own state: set when it starts reading the store, cleared when it has joined the live stream. Frames
    // sent while it is clear advance _scanned (an overflow the loop has not seen yet does not change that).
    private bool _catchingUp = true;

    public Subscriber(WebSocket socket, HubContext hub, FanOut fanOut, IEntryLog log, LogFilter filter, string? clientId, ApiKey? key, ILogger logger)
        : base(socket, hub, clientId, key, logger)
    {
        _fanOut = fanOut;
        _log = log;
        _after = filter.After;
        Filter = filter.WithAfter(null);
        Queue = new SubscriberQueue(hub.Options.SubscriberQueueBytes, this);
        Id = Interlocked.Increment(ref s_nextId);
    }

    private static long s_nextId;

    public long Id { get; }

    /// <summary>The content filter (no <c>after</c>): subscribers with equal filters share frames.</summary>
    public LogFilter Filter { get; }

    public SubscriberQueue Queue { get; }

    /// <summary>When this subscriber last sent anything (TimeProvider timestamp), for heartbeats.</summary>
    public long LastSendTimestamp { get; private set; }

    /// <summary>
    /// Whether the subscriber is reading the store rather than the live stream: from its start (with <c>after</c>) or
    /// from an overflow (at once, even while its send loop is still waiting on a send) until it is live again.
    /// </summary>
    public bool CatchingUp => Volatile.Read(ref _catchingUp) || !Queue.IsAccepting;

    /// <summary>
    /// How many committed ids this subscriber has not examined yet. A live subscriber with nothing queued or being sent
    /// has examined them all (entries its filter excludes are examined, not lag); otherwise it has examined through
    /// <see cref="_scanned"/>.
    /// </summary>
    public long Lag
    {
        get
        {
            var committed = _fanOut.CommittedId;
            return !Volatile.Read(ref _catchingUp) && Queue.IsIdle ? 0 : Math.Max(0, committed - Volatile.Read(ref _scanned));
        }
    }

    public override long? ResumePosition => Volatile.Read(ref _lastSent);

    protected override int BinaryCloseCode => CloseCodes.InvalidMessage;

    // A stream receives only control frames (handled by the WebSocket) and close frames: a small buffer keeps idle
    // subscribers cheap; any data frame is an error anyway.
    protected override int InitialReceiveBufferBytes => 128;

    protected override void OnCloseRequested() => Queue.Close();

    protected override ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        Hub.Metrics.BadInput("stream_data");
        RequestClose(CloseCodes.InvalidMessage, "a stream accepts no messages");
        return ValueTask.CompletedTask;
    }

    // One async frame for the whole stream (an idle stream keeps it): the serving code, then, however it ends, leave the
    // fan-out and send the close frame.
    protected override async Task SendLoopAsync()
    {
        await Task.Yield();
        try
        {
            if (_after is not { } after)
            {
                var marker = _fanOut.Add(this, acceptLive: true);
                _lastSent = _scanned = marker;
                Volatile.Write(ref _catchingUp, false);
                if (!await SendAsync(StreamMessageJson.Serialize(Hello(marker))).ConfigureAwait(false))
                {
                    return;
                }

                _liveSent = true;
                if (!await SendAsync(StreamMessageJson.Serialize(new LiveMessage(marker))).ConfigureAwait(false))
                {
                    return;
                }
            }
            else
            {
                var lastId = _fanOut.CommittedId;
                _fanOut.Add(this, acceptLive: false);
                _lastSent = _scanned = after;
                if (!await SendAsync(StreamMessageJson.Serialize(Hello(lastId))).ConfigureAwait(false)
                    || !await CatchUpAsync(GapReasons.Retention).ConfigureAwait(false))
                {
                    return;
                }
            }

            while (true)
            {
                var item = await Queue.TakeAsync().ConfigureAwait(false);
                switch (item.Kind)
                {
                    case QueueItemKind.Closed:
                        return;
                    case QueueItemKind.HandedOver when !await item.PendingSend!.ConfigureAwait(false):
                        return;
                    case QueueItemKind.Frame when item.Frame!.LastId > _scanned && !await SendFrameAsync(item.Frame).ConfigureAwait(false):
                        return;
                    case QueueItemKind.Overflowed:
                        LogOverflow(Logger, Id, ClientId, _lastSent);
                        Volatile.Write(ref _catchingUp, true);
                        if (!await CatchUpAsync(GapReasons.Overflow).ConfigureAwait(false))
                        {
                            return;
                        }

                        break;
                    case QueueItemKind.Heartbeat when !await SendAsync(StreamMessageJson.Serialize(new HeartbeatMessage(_fanOut.CommittedId, Hub.Time.GetUtcNow()))).ConfigureAwait(false):
                        return;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogSendFailed(Logger, e, Id);
            RequestClose(CloseCodes.InternalError, "internal error");
        }
        finally
        {
            _fanOut.Remove(this);
            await SendCloseAsync().ConfigureAwait(false);
        }
    }

    bool IFrameSender.IsSent(SharedFrame frame) => frame.LastId <= _scanned;

    void IFrameSender.PumpFailed(Exception exception)
    {
        LogSendFailed(Logger, exception, Id);
        RequestClose(CloseCodes.InternalError, "internal error");
    }

    /// <summary>
    /// Reads the store after <see cref="_scanned"/> until within a page of the live stream, then accepts live frames
    /// and reads through the marker. A gap is sent when the store no longer holds the next id.
    /// Returns <see langword="false"/> when the connection is ending.
    /// </summary>
    private async Task<bool> CatchUpAsync(string gapReason)
    {
        var page = new List<StoredEntry>(PageSize);
        var frames = new List<SharedFrame>();
        while (true)
        {
            var target = _fanOut.CommittedId;
            var final = target - _scanned <= PageSize;
            if (final)
            {
                target = _fanOut.AcceptLive(this);
            }

            while (_scanned < target)
            {
                if (IsCloseRequested)
                {
                    return false;
                }

                // Recent ids: the shared live frames, when one starts right here; else read the store up to where one does.
                var readTo = target;
                if (Filter.MatchesAll)
                {
                    if (_fanOut.RecentFrames.Find(_scanned + 1, target, Hub.Options.MaxFrameBytes / 4, out var next) is { } recent)
                    {
                        if (!await SendFrameAsync(recent).ConfigureAwait(false))
                        {
                            return false;
                        }

                        Volatile.Write(ref _scanned, recent.LastId);
                        continue;
                    }

                    if (next > _scanned + 1 && next <= target)
                    {
                        readTo = next - 1;
                    }
                }

                page.Clear();
                var oldest = await _log.ReadAsync(_scanned, (int)Math.Min(PageSize, readTo - _scanned), page, CancellationToken.None).ConfigureAwait(false);
                if (oldest > _scanned + 1)
                {
                    var to = Math.Min(oldest - 1, readTo);
                    if (!await SendGapAsync(_scanned + 1, to, gapReason).ConfigureAwait(false))
                    {
                        return false;
                    }
                }

                // Ids past the target belong to the live queue (or the next round): never send them twice.
                while (page.Count > 0 && page[^1].Id > readTo)
                {
                    page.RemoveAt(page.Count - 1);
                }

                if (page.Count == 0)
                {
                    if (_scanned < readTo)
                    {
                        break;
                    }

                    continue;
                }

                frames.Clear();
                SharedFrame.Build(page, Filter, Hub.Options.MaxFrameBytes, frames);
                foreach (var f in frames)
                {
                    if (!await SendFrameAsync(f).ConfigureAwait(false))
                    {
                        return false;
                    }
                }

                Volatile.Write(ref _scanned, page[^1].Id);
            }

            if (final)
            {
                Volatile.Write(ref _scanned, Math.Max(_scanned, target));
                Volatile.Write(ref _catchingUp, false);
                if (!_liveSent)
                {
                    _liveSent = true;
                    return await SendAsync(StreamMessageJson.Serialize(new LiveMessage(target))).ConfigureAwait(false);
                }

                return true;
            }
        }
    }

    private async Task<bool> SendGapAsync(long from, long to, string reason)
    {
        if (reason == GapReasons.Overflow && Hub.Options.SlowConsumerPolicy == SlowConsumerPolicy.Close)
        {
            Hub.Metrics.SlowConsumerClosed();
            RequestClose(CloseCodes.SlowConsumer, new CloseReason(_lastSent, null).ToJson());
            return false;
        }

        Hub.Metrics.Gap(reason, to - from + 1);
        Volatile.Write(ref _scanned, to);
        Volatile.Write(ref _lastSent, Math.Max(_lastSent, to));
        return await SendAsync(StreamMessageJson.Serialize(new GapMessage(from, to, reason))).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public bool TrySendFrame(SharedFrame frame, out Task<bool>? pending)
    {
        pending = null;
        var send = StartSend(frame.Payload, frame.Wire);
        if (!send.IsCompleted)
        {
            pending = FinishFrameAsync(send, frame);
            return true;
        }

        if (!EndSend(send))
        {
            return false;
        }

        FrameSent(frame);
        return true;
    }

    private ValueTask<bool> SendFrameAsync(SharedFrame frame) =>
        !TrySendFrame(frame, out var pending) ? ValueTask.FromResult(false)
        : pending is null ? ValueTask.FromResult(true)
        : new ValueTask<bool>(pending);

    private async Task<bool> FinishFrameAsync(ValueTask send, SharedFrame frame)
    {
        if (!await AwaitSendAsync(send).ConfigureAwait(false))
        {
            return false;
        }

        FrameSent(frame);
        return true;
    }

    private void FrameSent(SharedFrame frame)
    {
        LastSendTimestamp = Hub.Time.GetTimestamp();
        Volatile.Write(ref _lastSent, frame.LastId);
        if (!_catchingUp)
        {
            Volatile.Write(ref _scanned, frame.LastId);
        }

        Hub.Metrics.Delivered(frame.Count);
    }

    private HelloMessage Hello(long lastId)
    {
        LastSendTimestamp = Hub.Time.GetTimestamp();
        return new HelloMessage(1, lastId, (int)Hub.Options.HeartbeatInterval.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 30, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Subscriber {Id} (client {ClientId}) fell behind at id {LastSent}: switched to catch-up from the store")]
    private static partial void LogOverflow(ILogger logger, long id, string? clientId, long lastSent);

    [LoggerMessage(EventId = 31, Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "Subscriber {Id} failed")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, long id);
}
