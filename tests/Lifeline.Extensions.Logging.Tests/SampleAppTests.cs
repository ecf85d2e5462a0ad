using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Samples.WebApp;
using Lifeline.Testing.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Extensions.Logging.Tests;

/// <summary>Runs samples/Lifeline.Samples.WebApp against a real hub with authentication on.</summary>
public sealed class SampleAppTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lifeline-sample-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task SampleApp_RequestsAreLoggedToTheHub_WithTheApiKey_AndFlushedOnShutdown()
    {
        var keys = Path.Combine(_dir, "keys.json");
        await File.WriteAllTextAsync(keys, """{"keys":[{"id":"sample","key":"sample-secret","scopes":["write"]},{"id":"test","key":"reader-secret","scopes":["read"]}]}""");
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.RequireAuthentication = true;
            o.KeysFile = keys;
        });

        var app = SampleApp.Create([$"--Lifeline:Url={hub.BaseUri}", "--Lifeline:ApiKey=sample-secret", "--urls=http://127.0.0.1:0"]);
        await using (app)
        {
            await app.StartAsync().OrTimeout(TimeSpan.FromSeconds(30));
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            for (var id = 1; id <= 3; id++)
            {
                using var response = await http.PostAsync($"orders/{id}", null).OrTimeout(TimeSpan.FromSeconds(30));
                response.EnsureSuccessStatusCode();
            }

            await app.StopAsync().OrTimeout(TimeSpan.FromSeconds(30));
        }

        // Disposing the app disposed the provider, which flushed: the order lines are in the hub, with their scope.
        var orders = (await QueryAllAsync(hub, "reader-secret")).Where(e => e.Source == "Lifeline.Samples.WebApp.SampleApp.Order").ToList();
        Assert.Equal(["Order 1 placed for 42.5 EUR", "Order 2 placed for 42.5 EUR", "Order 3 placed for 42.5 EUR"], orders.Select(e => e.Message));
        Assert.Equal([1, 2, 3], orders.Select(e => e.Properties!.Value.GetProperty("OrderId").GetInt32()));
    }
}
