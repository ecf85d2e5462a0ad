using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lifeline.Extensions.Logging;

/// <summary>Adds the Lifeline provider to a logging builder.</summary>
public static class LifelineLoggingBuilderExtensions
{
    /// <summary>
    /// Ships this application's logs to a Lifeline hub:
    /// <c>builder.Logging.AddLifeline(o => { o.Url = new Uri("http://hub:5000/"); o.ApiKey = "..."; });</c>
    /// </summary>
    /// <exception cref="ArgumentException">When the provider is first resolved, if an option is invalid.</exception>
    public static ILoggingBuilder AddLifeline(this ILoggingBuilder builder, Action<LifelineLoggerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        // The host's meter factory, unless the application chose one: the shipper's and client's meters then live with the host.
        builder.Services.AddOptions<LifelineLoggerOptions>().PostConfigure<IServiceProvider>((options, services) => options.MeterFactory ??= services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, LifelineLoggerProvider>(
            static sp => new LifelineLoggerProvider(sp.GetRequiredService<IOptions<LifelineLoggerOptions>>().Value)));
        return builder;
    }
}
