using Lifeline.Hub.Client.Shipping;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;

namespace Lifeline.Serilog;

/// <summary>Adds the Lifeline sink to a Serilog configuration.</summary>
public static class LifelineSinkExtensions
{
    /// <summary>
    /// Ships events to a Lifeline hub:
    /// <c>new LoggerConfiguration().WriteTo.Lifeline(new Uri("http://hub:5000/"), apiKey: "...").CreateLogger()</c>.
    /// </summary>
    /// <param name="sinkConfiguration">The <c>WriteTo</c> configuration.</param>
    /// <param name="url">The hub's base address.</param>
    /// <param name="apiKey">A key with the <c>write</c> scope, or <see langword="null"/> for a hub without auth.</param>
    /// <param name="configure">Sets buffering and batching (see <see cref="LogShippingOptions"/>).</param>
    /// <param name="restrictedToMinimumLevel">The lowest level shipped.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static LoggerConfiguration Lifeline(
        this LoggerSinkConfiguration sinkConfiguration,
        Uri url,
        string? apiKey = null,
        Action<LogShippingOptions>? configure = null,
        LogEventLevel restrictedToMinimumLevel = LevelAlias.Minimum)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        var options = new LogShippingOptions { Url = url, ApiKey = apiKey };
        configure?.Invoke(options);
        return sinkConfiguration.Sink(new LifelineSink(options), restrictedToMinimumLevel);
    }
}
