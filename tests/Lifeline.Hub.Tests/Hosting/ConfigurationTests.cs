using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Tests.Hosting;

/// <summary>Issue 15 point 5: hub options from IConfiguration, validated when the host starts (ValidateOnStart).</summary>
public class ConfigurationTests
{
    private static IConfiguration Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>($"Lifeline:Hub:{v.Key}", v.Value))).Build().GetSection("Lifeline:Hub");

    [Fact]
    public void AddLifelineHub_Section_BindsOptions_ThenConfigureWins()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLifelineHub(Section(("MaxEntryBytes", "2000"), ("RetentionMaxAge", "7.00:00:00"), ("MaxMessagesPerSecond", "50")), o => o.MaxMessagesPerSecond = 60);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<HubOptions>>().Value;

        Assert.Equal(2000, options.MaxEntryBytes);
        Assert.Equal(TimeSpan.FromDays(7), options.RetentionMaxAge);
        Assert.Equal(60, options.MaxMessagesPerSecond);
    }

    [Fact]
    public async Task InvalidOption_FailsTheHostsStart_NamingIt_BeforeTheHubStarts()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLifelineHub(Section(("MaxEntryBytes", "10")));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("MaxEntryBytes", error.Message);
    }
}
