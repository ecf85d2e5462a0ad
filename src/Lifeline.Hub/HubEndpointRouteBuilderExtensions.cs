using System.Text.Json;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Hosting;
using Lifeline.Hub.Ingest;
using Lifeline.Hub.Monitoring;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lifeline.Hub;

/// <summary>Maps the hub's endpoints (docs/protocol.md).</summary>
public static class HubEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST/GET {prefix}/v1/logs</c>, <c>{prefix}/v1/ingest</c>, <c>{prefix}/v1/stream</c>, <c>{prefix}/v1/stats</c>,
    /// <c>POST {prefix}/v1/keys/revoke</c> and <c>{prefix}/healthz</c>. When <paramref name="endpoints"/> is also the
    /// application builder (a <c>WebApplication</c>), the WebSocket middleware is added; otherwise call <c>UseWebSockets()</c>.
    /// </summary>
    /// <param name="endpoints">The route builder; <c>AddLifelineHub</c> must have been called.</param>
    /// <param name="prefix">A path prefix such as <c>/logs</c>, or empty.</param>
    public static IEndpointConventionBuilder MapLifelineHub(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        prefix = prefix.TrimEnd('/');
        if (endpoints is IApplicationBuilder app)
        {
            app.UseWebSockets();
        }

        var sp = endpoints.ServiceProvider;
        var hub = sp.GetRequiredService<LogHub>();
        var ingest = sp.GetRequiredService<HttpIngestEndpoint>();
        var query = sp.GetRequiredService<QueryEndpoint>();
        var stats = sp.GetRequiredService<StatsEndpoint>();
        var sockets = sp.GetRequiredService<WebSocketEndpoints>();
        var auth = sp.GetRequiredService<HubAuth>();
        var keys = sp.GetRequiredService<ApiKeyStore>();

        var group = endpoints.MapGroup(prefix);
        group.MapPost("/v1/logs", ingest.HandleAsync);
        group.MapGet("/v1/logs", context => query.HandleAsync(context, prefix));
        group.Map("/v1/stream", sockets.StreamAsync);
        group.Map("/v1/ingest", sockets.IngestAsync);
        group.MapGet("/v1/stats", stats.HandleStatsAsync);
        group.MapGet("/healthz", context => StatsEndpoint.HandleHealthAsync(context, hub));
        group.MapPost("/v1/keys/revoke", context => RevokeAsync(context, auth, keys));
        return group;
    }

    private static async Task RevokeAsync(HttpContext context, HubAuth auth, ApiKeyStore keys)
    {
        var (ok, _) = await auth.AuthorizeAsync(context, HubScopes.Admin).ConfigureAwait(false);
        if (!ok)
        {
            return;
        }

        string? id = null;
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            id = doc.RootElement.TryGetProperty("id", out var p) ? p.GetString() : null;
        }
        catch (JsonException)
        {
        }

        if (string.IsNullOrEmpty(id))
        {
            await HttpResults.ErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidJson, """the body must be {"id":"<key id>"}""").ConfigureAwait(false);
            return;
        }

        if (!keys.Revoke(id))
        {
            await HttpResults.ErrorAsync(context, StatusCodes.Status404NotFound, "not_found", $"no key with id '{id}'").ConfigureAwait(false);
            return;
        }

        await HttpResults.JsonAsync(context, HttpBodyJson.SerializeRevoked(id)).ConfigureAwait(false);
    }
}
