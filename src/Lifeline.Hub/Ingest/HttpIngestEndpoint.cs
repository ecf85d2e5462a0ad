using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Hosting;
using Lifeline.Hub.Log;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Lifeline.Hub.Ingest;

/// <summary><c>POST /v1/logs</c>: a JSON array or NDJSON body, all or nothing, answered once in the store (docs/protocol.md).</summary>
internal sealed partial class HttpIngestEndpoint(LogHub hub, HubAuth auth, ILogger<HttpIngestEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (!hub.TryEnterRequest())
        {
            await HttpResults.UnavailableAsync(context).ConfigureAwait(false);
            return;
        }

        try
        {
            await HandleCoreAsync(context).ConfigureAwait(false);
        }
        finally
        {
            hub.ExitRequest();
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var (ok, _) = await auth.AuthorizeAsync(context, HubScopes.Write).ConfigureAwait(false);
        if (!ok)
        {
            return;
        }

        var mediaType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        var ndjson = mediaType is "application/x-ndjson" or "application/ndjson" or "application/jsonl";
        if (!ndjson && mediaType != "application/json")
        {
            hub.Metrics.BadInput(ErrorCodes.UnsupportedMediaType);
            await HttpResults.ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Content-Type must be application/json or application/x-ndjson").ConfigureAwait(false);
            return;
        }

        var max = hub.Options.MaxRequestBytes;
        if (context.Request.ContentLength > max)
        {
            await TooLargeAsync(context, max).ConfigureAwait(false);
            return;
        }

        var (body, length) = await RequestBody.ReadAsync(context, max).ConfigureAwait(false);
        if (body is null)
        {
            await TooLargeAsync(context, max).ConfigureAwait(false);
            return;
        }

        List<EntryFields> entries;
        try
        {
            var span = body.AsSpan(0, length);
            entries = ndjson ? EntryBatchReader.ReadNdjson(span, hub.Options.MaxEntryBytes) : EntryBatchReader.ReadArray(span, hub.Options.MaxEntryBytes);
        }
        catch (ProtocolException e)
        {
            hub.Metrics.BadInput(e.ErrorCode);
            LogRejected(logger, e.ErrorCode, e.Message);
            await HttpResults.ErrorAsync(context, StatusCodes.Status400BadRequest, e.ErrorCode, e.Message, e.Index).ConfigureAwait(false);
            return;
        }
        finally
        {
            // The entries hold copies (strings, props bytes): the body goes back to the pool once parsed.
            InputBuffers.Return(body);
        }

        var key = context.Request.Headers["Idempotency-Key"].ToString();
        PublishResult result;
        bool replayed;
        try
        {
            (result, replayed) = await hub.IngestAsync(entries, string.IsNullOrEmpty(key) ? null : key, context.RequestAborted).ConfigureAwait(false);
        }
        catch (EngineUnavailableException e)
        {
            // A cluster node whose engine did not take the batch: nothing was acked; the client retries (with its key).
            await HttpResults.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, e.Message).ConfigureAwait(false);
            return;
        }
        catch (ProtocolException e) when (e.ErrorCode == ErrorCodes.TooLarge)
        {
            hub.Metrics.BadInput(e.ErrorCode);
            await HttpResults.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, e.ErrorCode, e.Message).ConfigureAwait(false);
            return;
        }

        if (replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        await HttpResults.JsonAsync(context, HttpBodyJson.Serialize(result)).ConfigureAwait(false);
    }

    private Task TooLargeAsync(HttpContext context, long max)
    {
        hub.Metrics.BadInput(ErrorCodes.TooLarge);
        LogRejected(logger, ErrorCodes.TooLarge, $"body over {max} bytes");
        return HttpResults.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.TooLarge, $"the body is larger than {max} bytes");
    }

    [LoggerMessage(EventId = 70, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "POST /v1/logs rejected ({Error}): {Reason}")]
    private static partial void LogRejected(ILogger logger, string error, string reason);
}
