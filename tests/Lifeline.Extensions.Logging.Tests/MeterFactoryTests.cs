using System.Diagnostics.Metrics;
using Lifeline.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lifeline.Extensions.Logging.Tests;

/// <summary>Issue 15 point 5: the provider's meters come from the host's IMeterFactory unless the application chose one.</summary>
public class MeterFactoryTests
{
    [Fact]
    public void AddLifeline_TakesTheHostsMeterFactory()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging(logging => logging.AddLifeline(o => o.Url = new Uri("http://127.0.0.1:1/")));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<LifelineLoggerOptions>>().Value;

        Assert.Same(provider.GetRequiredService<IMeterFactory>(), options.MeterFactory);
    }

    [Fact]
    public void AddLifeline_WithoutAMeterFactory_LeavesItUnset()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddLifeline(o => o.Url = new Uri("http://127.0.0.1:1/")));
        using var provider = services.BuildServiceProvider();

        Assert.Null(provider.GetRequiredService<IOptions<LifelineLoggerOptions>>().Value.MeterFactory);
    }
}
