using System.Net;
using Lifeline.Extensions.Logging.Tests.Shipping;
using Lifeline.Hub;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Extensions.Logging.Tests;

/// <summary>The hub really goes down (graceful stop, 1001 to its clients) and a new hub process comes back on the same address and store.</summary>
public sealed class HubRestartTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("lifeline-restart-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task HubStoppedThenRestarted_OnTheSameStore_EveryEntryArrivesOnceInOrder()
    {
        var store = Path.Combine(_dir, "hub.db");
        var first = await StartHubAsync(store, port: 0);
        var url = new Uri(first.Urls.Single());
        var options = new LifelineLoggerOptions { BufferCapacity = 1_000, MaxBatchSize = 50 };
        options.Url = url;
        options.ConfigureClient = Options(url).ConfigureClient;
        var provider = new LifelineLoggerProvider(options);
        await using (provider)
        {
            var logger = provider.CreateLogger("app");
            for (var i = 0; i < 100; i++)
            {
                logger.LogInformation("m{I}", i);
            }

            await provider.Shipper.WaitForAsync(s => s.Acknowledged == 100).OrTimeout(Timeout);

            await first.StopAsync().OrTimeout(Timeout);   // closes the ingest connection with 1001
            await first.DisposeAsync();
            for (var i = 100; i < 400; i++)
            {
                logger.LogInformation("m{I}", i);        // buffered while no hub listens
            }

            await using var second = await StartHubAsync(store, url.Port);
            await provider.Shipper.WaitForAsync(s => s.Acknowledged == 400).OrTimeout(Timeout);
            await provider.DisposeAsync();

            var stored = await QueryAsync(second);
            Assert.Equal(Enumerable.Range(0, 400).Select(i => $"m{i}"), stored.Select(e => e.Message));
            Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), stored.Select(e => e.Id));
            Assert.Equal(0, provider.Shipper.GetStats().Dropped);
            await second.StopAsync().OrTimeout(Timeout);
        }
    }

    private static async Task<WebApplication> StartHubAsync(string store, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port));
        builder.Services.AddLifelineHub(o =>
        {
            o.RequireAuthentication = false;
            o.KeysEnvironmentVariable = null;
            o.Store = HubStoreKind.Sqlite;
            o.SqlitePath = store;
            o.ReconnectJitter = (TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
        });
        var app = builder.Build();
        app.MapLifelineHub();
        await app.StartAsync().OrTimeout(Timeout);
        return app;
    }

    private static async Task<List<LogEntry>> QueryAsync(WebApplication hub)
    {
        using var http = new HttpClient { BaseAddress = new Uri(hub.Urls.Single()) };
        var page = HttpBodyJson.ParseQueryPage(await http.GetByteArrayAsync("v1/logs?limit=1000&after=0").OrTimeout(Timeout));
        return [.. page.Entries];
    }
}
