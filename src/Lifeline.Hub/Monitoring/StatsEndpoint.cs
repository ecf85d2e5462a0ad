using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Hosting;
using Lifeline.Hub.Log;
using Microsoft.AspNetCore.Http;

namespace Lifeline.Hub.Monitoring;

/// <summary><c>GET /v1/stats</c> (scope read) and <c>GET /healthz</c> (no auth); fields documented in docs/hub.md and only grow.</summary>
internal sealed class StatsEndpoint(LogHub hub, HubAuth auth, ApiKeyStore keys, ClusterRevocations revocations)
{
    public async Task HandleStatsAsync(HttpContext context)
    {
        var (ok, _) = await auth.AuthorizeAsync(context, HubScopes.Read).ConfigureAwait(false);
        if (ok)
        {
            await HttpResults.JsonAsync(context, Write()).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// 200 <c>{"status":"ok"}</c> when the hub serves; 503 while draining, and on a cluster node until its mirror has
    /// applied the stream's last sequence and the revocations made on other nodes are loaded (docs/cluster.md, "Health"),
    /// with the reason, so a load balancer sends nobody to a node that would serve a stale log or a revoked key.
    /// </summary>
    public Task HandleHealthAsync(HttpContext context)
    {
        var (status, reason) = Health();
        var body = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("status"u8, status);
            if (reason is not null)
            {
                w.WriteString("reason"u8, reason);
            }

            if (hub.Log.Engine is { } engine)
            {
                w.WriteString("node"u8, engine.Node);
            }

            w.WriteEndObject();
        }

        return HttpResults.JsonAsync(context, body.WrittenMemory, status == "ok" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The health status and, when not <c>ok</c>, why.</summary>
    internal (string Status, string? Reason) Health()
    {
        if (hub.IsDraining)
        {
            return ("draining", null);
        }

        if (hub.Log.Engine is not { } engine)
        {
            return ("ok", null);
        }

        if (!engine.Connected)
        {
            return ("unavailable", "not connected to the cluster's engine");
        }

        if (!engine.CaughtUp)
        {
            return ("catching_up", string.Create(CultureInfo.InvariantCulture, $"the mirror applied sequence {engine.AppliedSequence} of the stream's {engine.LastSequence}"));
        }

        return revocations.Loaded ? ("ok", null) : ("catching_up", "the revocations made on other nodes are not loaded yet");
    }

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
            if (hub.Log.Engine is { } engine)
            {
                WriteCluster(w, engine);
            }

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
                w.WriteNumber("sendWaitMs"u8, (long)s.SendWaiting.TotalMilliseconds);
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

    /// <summary><c>node</c> and <c>cluster</c>: which node answered, and its engine's and mirror's state (docs/cluster.md, "Monitoring").</summary>
    private void WriteCluster(Utf8JsonWriter w, EngineStatus engine)
    {
        w.WriteString("node"u8, engine.Node);
        w.WriteStartObject("cluster"u8);
        w.WriteBoolean("connected"u8, engine.Connected);
        WriteStringOrNull(w, "connectedServer"u8, engine.ConnectedServer);
        WriteStringOrNull(w, "connectedUrl"u8, engine.ConnectedUrl);
        w.WriteStartArray("servers"u8);
        foreach (var server in engine.Servers)
        {
            w.WriteStringValue(server);
        }

        w.WriteEndArray();
        WriteStringOrNull(w, "streamLeader"u8, engine.StreamLeader);

        w.WriteNumber("firstSequence"u8, engine.FirstSequence);
        w.WriteNumber("lastSequence"u8, engine.LastSequence);
        w.WriteNumber("appliedSequence"u8, engine.AppliedSequence);
        w.WriteNumber("mirrorLag"u8, Math.Max(0, engine.LastSequence - engine.AppliedSequence));
        w.WriteBoolean("caughtUp"u8, engine.CaughtUp);
        w.WriteNumber("racesLost"u8, engine.RacesLost);
        w.WriteBoolean("revocationsLoaded"u8, revocations.Loaded);
        w.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
