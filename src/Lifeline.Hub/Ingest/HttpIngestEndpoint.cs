using System.Buffers;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Hosting;
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

        var body = await ReadBodyAsync(context, max).ConfigureAwait(false);
        if (body is null)
        {
            await TooLargeAsync(context, max).ConfigureAwait(false);
            return;
        }

        List<EntryFields> entries;
        try
        {
            entries = ndjson ? EntryBatchReader.ReadNdjson(body.WrittenSpan, hub.Options.MaxEntryBytes) : EntryBatchReader.ReadArray(body.WrittenSpan, hub.Options.MaxEntryBytes);
        }
        catch (ProtocolException e)
        {
            hub.Metrics.BadInput(e.ErrorCode);
            LogRejected(logger, e.ErrorCode, e.Message);
            await HttpResults.ErrorAsync(context, StatusCodes.Status400BadRequest, e.ErrorCode, e.Message, e.Index).ConfigureAwait(false);
            return;
        }

        var key = context.Request.Headers["Idempotency-Key"].ToString();
        var (result, replayed) = await hub.IngestAsync(entries, string.IsNullOrEmpty(key) ? null : key, context.RequestAborted).ConfigureAwait(false);
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

    /// <summary>Reads the body; <see langword="null"/> when it exceeds <paramref name="max"/>.</summary>
    private static async Task<ArrayBufferWriter<byte>?> ReadBodyAsync(HttpContext context, long max)
    {
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(context.Request.ContentLength ?? 16 * 1024, max) + 1);
        var stream = context.Request.Body;
        while (true)
        {
            // Fill the capacity sized from Content-Length before asking for more: a fixed size hint would make the
            // buffer double (a large-object-heap copy) on every request near its end.
            var memory = buffer.GetMemory(buffer.FreeCapacity > 0 ? buffer.FreeCapacity : 16 * 1024);
            var read = await stream.ReadAsync(memory, context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > max)
            {
                return null;
            }
        }
    }

    [LoggerMessage(EventId = 70, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "POST /v1/logs rejected ({Error}): {Reason}")]
    private static partial void LogRejected(ILogger logger, string error, string reason);
}
