using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Hosting;
using Lifeline.Hub.Ingest;
using Lifeline.Hub.Monitoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub;

/// <summary>Registers the hub (docs/hub.md, "Hosting").</summary>
public static class HubServiceCollectionExtensions
{
    /// <summary>Adds the hub's services and a hosted service that starts it with the host and drains it on shutdown.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets <see cref="HubOptions"/>; validated when the host starts (an invalid option fails the start with <see cref="OptionsValidationException"/>).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddLifelineHub(this IServiceCollection services, Action<HubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<HubOptions>().Configure(o => configure?.Invoke(o));
        return AddCore(services);
    }

    /// <summary>
    /// As <see cref="AddLifelineHub(IServiceCollection, Action{HubOptions}?)"/>, with <see cref="HubOptions"/> bound from
    /// <paramref name="configuration"/> (for example <c>builder.Configuration.GetSection("Lifeline:Hub")</c>: keys are the
    /// option names, <c>"MaxEntryBytes": 131072</c>, <c>"RetentionMaxAge": "7.00:00:00"</c>), then
    /// <paramref name="configure"/>. Validated when the host starts, like every hub option.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section to bind; a value that does not convert fails the host's start naming its key.</param>
    /// <param name="configure">Applied after binding, or <see langword="null"/>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddLifelineHub(this IServiceCollection services, IConfiguration configuration, Action<HubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HubOptions>().Bind(configuration).Configure(o => configure?.Invoke(o));
        return AddCore(services);
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        services.AddOptions<HubOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HubOptions>, HubOptionsValidator>());
        services.AddMetrics();
        services.AddSingleton<HubMetrics>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<LogHub>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton(sp =>
        {
            // Shared only by clustered nodes that check keys: a single hub, or one without keys, shares nothing.
            var o = sp.GetRequiredService<IOptions<HubOptions>>().Value;
            var settings = o.IsCluster && o.RequireAuthentication ? new ClusterRevocationSettings([.. o.ClusterUrls], o.ClusterNodeName, o.ClusterReplicas) : null;
            return new ClusterRevocations(sp.GetRequiredService<ApiKeyStore>(), settings, o.TimeProvider, sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ClusterRevocations>>());
        });
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
