using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lifeline.Hub.Dashboard;

/// <summary>Maps the Lifeline dashboard: a live tail and live charts in plain HTML, CSS and JavaScript.</summary>
/// <remarks>
/// The page and its assets are embedded in this assembly and served from memory; nothing is loaded from another
/// origin (the Content-Security-Policy header enforces it). The page talks to the hub at the same origin:
/// <c>/v1/stream</c> for the tail, <c>/v1/logs</c> for history, <c>/v1/stats</c> for the hub charts. Serving the page needs no key; the page
/// takes one from its <c>access_token</c> query parameter or from its key field and sends it to the hub.
/// </remarks>
public static class DashboardEndpointRouteBuilderExtensions
{
    private const string ResourcePrefix = "Lifeline.Hub.Dashboard.";

    private static readonly Lazy<FrozenDictionary<string, (byte[] Content, string ContentType)>> s_assets = new(LoadAssets);

    /// <summary>Serves the dashboard page at <c>/</c> and its assets at <c>/dashboard/{file}</c>.</summary>
    /// <param name="endpoints">The application's endpoints, where the hub is mapped at the root.</param>
    /// <returns>A builder for conventions (authorization, CORS) on the dashboard's endpoints.</returns>
    public static IEndpointConventionBuilder MapLifelineDashboard(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(string.Empty);
        group.MapGet("/", context => ServeAsync(context, "index.html"));
        group.MapGet("/dashboard/{file}", context => ServeAsync(context, (string?)context.Request.RouteValues["file"] ?? string.Empty));
        return group;
    }

    private static Task ServeAsync(HttpContext context, string file)
    {
        var response = context.Response;
        if (!s_assets.Value.TryGetValue(file, out var asset))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:";
        return response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }

    private static FrozenDictionary<string, (byte[] Content, string ContentType)> LoadAssets()
    {
        var assembly = typeof(DashboardEndpointRouteBuilderExtensions).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var file = name[ResourcePrefix.Length..];
            var type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[file] = (copy.ToArray(), type);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
