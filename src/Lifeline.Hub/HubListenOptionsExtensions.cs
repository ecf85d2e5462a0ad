using Lifeline.Hub.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lifeline.Hub;

/// <summary>Kestrel listen options for the hub (docs/hub.md, "Lean streams").</summary>
public static class HubListenOptionsExtensions
{
    /// <summary>
    /// Serves <c>{prefix}/v1/stream</c> WebSocket upgrades at the connection level, before Kestrel's HTTP/1.1 layer, so an
    /// open stream holds no HTTP state (about 5 KB less per idle subscriber). Requests it does not take, including
    /// every one the stream endpoint would refuse, go on to HTTP unchanged. Use the same prefix as
    /// <c>MapLifelineHub</c>, and also map the hub (it answers the refusals and serves every other endpoint). Put it
    /// after <c>UseHttps()</c> on a TLS endpoint.
    /// </summary>
    /// <param name="listenOptions">An endpoint, or <c>KestrelServerOptions.ConfigureEndpointDefaults</c>'s argument.</param>
    /// <param name="prefix">The path prefix given to <c>MapLifelineHub</c>.</param>
    public static ListenOptions UseLifelineStreams(this ListenOptions listenOptions, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(prefix);
        var services = listenOptions.ApplicationServices;
        listenOptions.Use(next => new StreamUpgradeMiddleware(services, prefix, next).OnConnectionAsync);
        return listenOptions;
    }
}
