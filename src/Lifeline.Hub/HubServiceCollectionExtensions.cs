using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Hosting;
using Lifeline.Hub.Ingest;
using Lifeline.Hub.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub;

/// <summary>Registers the hub (docs/hub.md, "Hosting").</summary>
public static class HubServiceCollectionExtensions
{
    /// <summary>Adds the hub's services and a hosted service that starts it with the host and drains it on shutdown.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets <see cref="HubOptions"/>; validated when the hub starts.</param>
    public static IServiceCollection AddLifelineHub(this IServiceCollection services, Action<HubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<HubOptions>().Configure(o => configure?.Invoke(o));
        services.AddMetrics();
        services.AddSingleton<HubMetrics>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<LogHub>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton(sp => new HubAuth(sp.GetRequiredService<ApiKeyStore>(), sp.GetRequiredService<IOptions<HubOptions>>().Value, sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<HubAuth>>()));
        services.AddSingleton<HttpIngestEndpoint>();
        services.AddSingleton<RevokeEndpoint>();
        services.AddSingleton<ClientErrors>();
        services.AddSingleton<QueryEndpoint>();
        services.AddSingleton<StatsEndpoint>();
        services.AddSingleton<WebSocketEndpoints>();
        services.AddHostedService<HubHostedService>();
        return services;
    }
}
