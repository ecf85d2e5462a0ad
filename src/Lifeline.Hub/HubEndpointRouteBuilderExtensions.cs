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
        var ingest = sp.GetRequiredService<HttpIngestEndpoint>();
        var query = sp.GetRequiredService<QueryEndpoint>();
        var stats = sp.GetRequiredService<StatsEndpoint>();
        var sockets = sp.GetRequiredService<WebSocketEndpoints>();
        var revoke = sp.GetRequiredService<RevokeEndpoint>();
        var errors = sp.GetRequiredService<ClientErrors>();

        var group = endpoints.MapGroup(prefix);
        group.MapPost("/v1/logs", errors.Guard(ingest.HandleAsync));
        group.MapGet("/v1/logs", context => query.HandleAsync(context, prefix));
        group.Map("/v1/stream", sockets.StreamAsync);
        group.Map("/v1/ingest", sockets.IngestAsync);
        group.MapGet("/v1/stats", stats.HandleStatsAsync);
        group.MapGet("/healthz", stats.HandleHealthAsync);
        group.MapPost("/v1/keys/revoke", errors.Guard(revoke.HandleAsync));
        return group;
    }
}
