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
/// in the store. On a close request the receive side stops submitting, the send loop sends the acks still pending,
/// then the close frame: nothing acknowledged is lost and nothing stored goes unanswered on an open socket.
/// </summary>
internal sealed partial class IngestConnection : HubConnection
{
    private readonly Channel<(string Ref, Task<(PublishResult Result, bool Replayed)>? Pending, ErrorMessage? Error)> _answers =
        Channel.CreateBounded<(string, Task<(PublishResult, bool)>?, ErrorMessage?)>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });

    private readonly IEntryLog _log;
    private readonly TokenBucket _flood;

    public IngestConnection(WebSocket socket, HubContext hub, IEntryLog log, string? clientId, ApiKey? key, ILogger logger)
        : base(socket, hub, clientId, key, logger)
    {
        _log = log;
        _flood = new TokenBucket(hub.Options.MaxMessagesPerSecond, hub.Time);
    }

    public override long? ResumePosition => null;

    protected override void OnCloseRequested() => _answers.Writer.TryComplete();

    protected override async ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        if (!_flood.TryTake())
        {
            Hub.Metrics.BadInput("flood");
            RequestClose(CloseCodes.Flood, $"more than {Hub.Options.MaxMessagesPerSecond} messages per second");
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
            await AnswerAsync(@ref!, null, new ErrorMessage(@ref, e.ErrorCode, e.Message, e.Index)).ConfigureAwait(false);
            return;
        }

        var key = ClientId is null ? null : $"{ClientId}/{@ref}";
        await AnswerAsync(@ref!, _log.AppendAsync(entries, key, CancellationToken.None), null).ConfigureAwait(false);
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
                    var (result, _) = await pending.ConfigureAwait(false);
                    answer = new AckMessage(@ref, result.Count, result.FirstId, result.LastId);
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

    private async ValueTask AnswerAsync(string @ref, Task<(PublishResult, bool)>? pending, ErrorMessage? error)
    {
        try
        {
            await _answers.Writer.WriteAsync((@ref, pending, error)).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Closing: the batch may be stored but is not acknowledged; a retry with the same ref is idempotent.
            if (pending is not null)
            {
                await ObserveAsync(pending).ConfigureAwait(false);
            }
        }
    }

    private static async Task ObserveAsync(Task pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Unacknowledged: nothing to report to a peer that is leaving.
        }
    }

    private static string Truncate(string s) => s.Length <= 100 ? s : s[..100];

    [LoggerMessage(EventId = 40, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Ingest from client {ClientId}: invalid message: {Reason}")]
    private static partial void LogInvalidMessage(ILogger logger, string? clientId, string reason);

    [LoggerMessage(EventId = 41, Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "Ingest from client {ClientId} failed in the store")]
    private static partial void LogIngestFailed(ILogger logger, Exception exception, string? clientId);
}
