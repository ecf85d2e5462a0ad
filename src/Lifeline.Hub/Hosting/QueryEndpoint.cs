using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Storage;
using Lifeline.Hub.Streaming;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;

namespace Lifeline.Hub.Hosting;

/// <summary><c>GET /v1/logs</c>: the past with the stream's filter, paged, oldest first (docs/protocol.md, "Query").</summary>
internal sealed class QueryEndpoint(LogHub hub, HubAuth auth)
{
    /// <summary>The most entries one query examines, so a rare filter cannot make one request scan the whole store.</summary>
    private const int MaxScan = 100_000;

    public async Task HandleAsync(HttpContext context, string prefix)
    {
        if (!hub.TryEnterRequest())
        {
            await HttpResults.UnavailableAsync(context).ConfigureAwait(false);
            return;
        }

        try
        {
            var (ok, _) = await auth.AuthorizeAsync(context, HubScopes.Read).ConfigureAwait(false);
            if (ok)
            {
                await QueryAsync(context, prefix).ConfigureAwait(false);
            }
        }
        finally
        {
            hub.ExitRequest();
        }
    }

    private async Task QueryAsync(HttpContext context, string prefix)
    {
        var parameters = context.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)));
        if (!LogFilter.TryParse(parameters, out var filter, out var error))
        {
            await HttpResults.ErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidFilter, error).ConfigureAwait(false);
            return;
        }

        var limit = 100;
        if (context.Request.Query.TryGetValue("limit", out var l)
            && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            await HttpResults.ErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidFilter, "limit must be 1 to 1000").ConfigureAwait(false);
            return;
        }

        var lastId = hub.CommittedId;
        var scanned = filter.After ?? 0;
        var matched = new List<StoredEntry>(limit);
        var page = new List<StoredEntry>();
        long oldest = hub.Log.OldestId;
        var examined = 0;
        while (matched.Count < limit && scanned < lastId && examined < MaxScan)
        {
            page.Clear();
            oldest = await hub.Log.ReadAsync(scanned, (int)Math.Min(2_000, lastId - scanned), page, context.RequestAborted).ConfigureAwait(false);
            if (page.Count == 0)
            {
                scanned = lastId;
                break;
            }

            foreach (var e in page)
            {
                if (e.Id > lastId)
                {
                    break;
                }

                scanned = e.Id;
                examined++;
                if (filter.Matches(e))
                {
                    matched.Add(e);
                    if (matched.Count == limit)
                    {
                        break;
                    }
                }
            }
        }

        var body = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteStartArray("entries"u8);
            foreach (var e in matched)
            {
                w.WriteRawValue(e.Json, skipInputValidation: true);
            }

            w.WriteEndArray();
            if (scanned < lastId)
            {
                w.WriteString("next"u8, $"{prefix}/v1/logs?{filter.WithAfter(scanned).ToQueryString()}&limit={limit}");
            }

            w.WriteNumber("oldestId"u8, oldest);
            w.WriteNumber("lastId"u8, lastId);
            w.WriteEndObject();
        }

        await HttpResults.JsonAsync(context, body.WrittenMemory).ConfigureAwait(false);
    }
}
