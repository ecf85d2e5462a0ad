using System.Net.WebSockets;
using System.Threading.Channels;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Log;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Ingest;

/// <summary>
/// A <c>/v1/ingest</c> publisher. The receive loop validates each publish and hands it to the hub; its pending
/// answers go, in publish order, through a bounded channel to the send loop, which sends each ack once the batch is
/// in the store. A publish goes to the hub only after its answer's place is queued; a close request completes the
/// queue, and the send loop sends every answer queued, then the close frame. So a publish that arrives while the
/// connection closes (the hub drains, say) is either stored and acknowledged, or not stored at all: nothing stored goes
/// unanswered on an open socket. (An ack the socket can no longer carry is still in the store's idempotency record,
/// so the retry after a reconnect, or a restart, is answered with it.)
/// </summary>
internal sealed partial class IngestConnection : HubConnection
{
    // Pending: completed with the hub's ingest once that has started (right after the place is queued).
    private readonly Channel<(string Ref, Task<Task<(PublishResult Result, bool Replayed)>>? Pending, ErrorMessage? Error)> _answers =
        Channel.CreateBounded<(string, Task<Task<(PublishResult, bool)>>?, ErrorMessage?)>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });

    private readonly IEntryLog _log;
    private readonly TokenBucket? _flood;

    // Receive loop only: since when every message has had to wait for the rate (null: the last one did not).
    private long? _throttledSince;

    public IngestConnection(WebSocket socket, HubContext hub, IEntryLog log, string? clientId, ApiKey? key, ILogger logger)
        : base(socket, hub, clientId, key, logger)
    {
        _log = log;
        _flood = hub.Options.MaxMessagesPerSecond > 0 ? new TokenBucket(hub.Options.MaxMessagesPerSecond, hub.Time) : null;
    }

    public override long? ResumePosition => null;

    protected override void OnCloseRequested() => _answers.Writer.TryComplete();

    protected override async ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        if (_flood is not null && !await TakeRateAsync(_flood).ConfigureAwait(false))
        {
            Hub.Metrics.BadInput("flood");
            RequestClose(CloseCodes.Flood, $"more than {Hub.Options.MaxMessagesPerSecond} messages per second for {Hub.Options.FloodGracePeriod.TotalSeconds:0.#} s");
            return;
        }

        List<EntryFields> entries;
        string? @ref = null;
        try
        {
            entries = IngestMessageJson.ParsePublishRaw(message.Span, Hub.Options.MaxEntryBytes, out @ref);
        }
        catch (ProtocolException e) when (e.ErrorCode == ErrorCodes.InvalidJson || @ref is null)
        {
            Hub.Metrics.BadInput("invalid_message");
            LogInvalidMessage(Logger, ClientId, e.Message);
            RequestClose(CloseCodes.InvalidMessage, Truncate(e.Message));
            return;
        }
        catch (ProtocolException e)
        {
            Hub.Metrics.BadInput(e.ErrorCode);
            LogInvalidMessage(Logger, ClientId, e.Message);
            await TryQueueAnswerAsync(@ref!, null, new ErrorMessage(@ref, e.ErrorCode, e.Message, e.Index)).ConfigureAwait(false);
            return;
        }

        var ingest = new TaskCompletionSource<Task<(PublishResult, bool)>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!await TryQueueAnswerAsync(@ref!, ingest.Task, null).ConfigureAwait(false))
        {
            // Closing: nothing is stored, and the client, unanswered, publishes it again on its next connection.
            return;
        }

        var key = ClientId is null ? null : $"{ClientId}/{@ref}";
        ingest.SetResult(_log.AppendAsync(entries, key, CancellationToken.None));
    }

    protected override async Task SendLoopAsync()
    {
        await Task.Yield();
        await foreach (var (@ref, pending, error) in _answers.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            IngestMessage answer;
            if (pending is null)
            {
                answer = error!;
            }
            else
            {
                try
                {
                    var (result, _) = await (await pending.ConfigureAwait(false)).ConfigureAwait(false);
                    answer = new AckMessage(@ref, result.Count, result.FirstId, result.LastId);
                }
                catch (EngineUnavailableException e)
                {
                    // A cluster node whose engine did not take the batch: never an ack; the client retries the same ref.
                    answer = new ErrorMessage(@ref, ErrorCodes.Unavailable, e.Message, null);
                }
                catch (ProtocolException e) when (e.ErrorCode == ErrorCodes.TooLarge)
                {
                    answer = new ErrorMessage(@ref, e.ErrorCode, e.Message, null);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogIngestFailed(Logger, e, ClientId);
                    RequestClose(CloseCodes.InternalError, "the store failed");
                    continue;
                }
            }

            if (!await SendAsync(IngestMessageJson.Serialize(answer)).ConfigureAwait(false))
            {
                // The socket is gone: keep draining so every pending ingest is observed.
                continue;
            }
        }

        await SendCloseAsync().ConfigureAwait(false);
    }

    /// <summary>Queues an answer for the send loop; <see langword="false"/> once a close was requested (the queue is complete).</summary>
    private async ValueTask<bool> TryQueueAnswerAsync(string @ref, Task<Task<(PublishResult, bool)>>? pending, ErrorMessage? error)
    {
        try
        {
            await _answers.Writer.WriteAsync((@ref, pending, error)).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Backpressure before closing: over the rate, the receive loop (and so the reading of this socket) waits until the
    /// next message is allowed; the peer's sends wait in its own buffers. <see langword="false"/> once every message has
    /// had to wait for <see cref="HubOptions.FloodGracePeriod"/>: the publisher stays over the rate however it is slowed.
    /// </summary>
    private async ValueTask<bool> TakeRateAsync(TokenBucket flood)
    {
        if (flood.TryTake())
        {
            _throttledSince = null;
            return true;
        }

        var now = Hub.Time.GetTimestamp();
        _throttledSince ??= now;
        if (Hub.Time.GetElapsedTime(_throttledSince.Value, now) >= Hub.Options.FloodGracePeriod)
        {
            return false;
        }

        // The wait exists (its timer armed) before it is counted, so a test that sees the count can move the clock.
        var wait = Task.Delay(flood.TimeUntilNext(), Hub.Time);
        Hub.Metrics.Throttled();
        await wait.ConfigureAwait(false);
        return flood.TryTake() || await TakeRateAsync(flood).ConfigureAwait(false);
    }

    private static string Truncate(string s) => s.Length <= 100 ? s : s[..100];

    [LoggerMessage(EventId = 40, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Ingest from client {ClientId}: invalid message: {Reason}")]
    private static partial void LogInvalidMessage(ILogger logger, string? clientId, string reason);

    [LoggerMessage(EventId = 41, Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "Ingest from client {ClientId} failed in the store")]
    private static partial void LogIngestFailed(ILogger logger, Exception exception, string? clientId);
}
