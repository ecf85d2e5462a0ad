using System.Buffers;
using System.Text.Json;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Hosting;
using Microsoft.AspNetCore.Http;

namespace Lifeline.Hub.Monitoring;

/// <summary><c>GET /v1/stats</c> (scope read) and <c>GET /healthz</c> (no auth); fields documented in docs/hub.md and only grow.</summary>
internal sealed class StatsEndpoint(LogHub hub, HubAuth auth, ApiKeyStore keys)
{
    public async Task HandleStatsAsync(HttpContext context)
    {
        var (ok, _) = await auth.AuthorizeAsync(context, HubScopes.Read).ConfigureAwait(false);
        if (ok)
        {
            await HttpResults.JsonAsync(context, Write()).ConfigureAwait(false);
        }
    }

    public static Task HandleHealthAsync(HttpContext context, LogHub hub) => hub.IsDraining
        ? HttpResults.JsonAsync(context, """{"status":"draining"}"""u8.ToArray(), StatusCodes.Status503ServiceUnavailable)
        : HttpResults.JsonAsync(context, """{"status":"ok"}"""u8.ToArray());

    internal ReadOnlyMemory<byte> Write()
    {
        var m = hub.Metrics;
        var subscribers = hub.Subscribers.ToList();
        var body = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("startedAt"u8, hub.StartedAt.UtcDateTime);
            w.WriteString("store"u8, hub.Options.Store == HubStoreKind.Sqlite ? "sqlite" : "memory");
            w.WriteNumber("lastId"u8, hub.CommittedId);
            w.WriteNumber("oldestId"u8, hub.Log.OldestId);
            w.WriteNumber("storedEntries"u8, hub.Log.Count);
            w.WriteNumber("storedBytes"u8, hub.Log.Bytes);
            w.WriteNumber("subscribers"u8, subscribers.Count);
            w.WriteNumber("publishers"u8, m.Publishers);
            w.WriteNumber("ingestedTotal"u8, m.IngestedTotal);
            w.WriteNumber("ingestRate"u8, m.IngestRate.PerSecond);
            w.WriteNumber("deliveredTotal"u8, m.DeliveredTotal);
            w.WriteNumber("deliveryRate"u8, m.DeliveryRate.PerSecond);
            w.WriteNumber("overflows"u8, m.OverflowTotal);
            w.WriteNumber("gapEntries"u8, m.GapEntriesTotal);
            w.WriteNumber("slowConsumerCloses"u8, m.SlowConsumerClosedTotal);
            w.WriteNumber("abnormalDisconnects"u8, m.AbnormalTotal);
            w.WriteNumber("badInput"u8, m.BadInputTotal);
            w.WriteNumber("keys"u8, keys.Count);
            w.WriteNumber("maxLag"u8, subscribers.Count == 0 ? 0 : subscribers.Max(s => s.Lag));
            w.WriteStartArray("subscriberLag"u8);
            foreach (var s in subscribers)
            {
                w.WriteStartObject();
                w.WriteNumber("id"u8, s.Id);
                if (s.ClientId is not null)
                {
                    w.WriteString("clientId"u8, s.ClientId);
                }

                w.WriteNumber("lag"u8, s.Lag);
                w.WriteNumber("queuedBytes"u8, s.Queue.QueuedBytes);
                w.WriteBoolean("catchingUp"u8, s.CatchingUp);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("reconnects"u8);
            foreach (var (client, connects) in m.ConnectsByClient)
            {
                if (connects > 1)
                {
                    w.WriteNumber(client, connects - 1);
                }
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return body.WrittenMemory;
    }
}
