using System.Net;
using Lifeline.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>A hub on 127.0.0.1:0 in this process, tuned for load (no auth, no flood limit, large memory store).</summary>
public sealed class InProcessHub : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessHub(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    /// <summary>The hub's base URL.</summary>
    public Uri BaseUri { get; }

    /// <summary>The hub's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a hub with load-test options; <paramref name="configure"/> may change them. Streams are taken at the
    /// connection level (<c>UseLifelineStreams</c>, as <c>lifeline serve</c> does) unless <paramref name="leanStreams"/> is false.
    /// </summary>
    public static async Task<InProcessHub> StartAsync(HubStoreKind store, string sqlitePath, int port = 0, Action<HubOptions>? configure = null, bool leanStreams = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port, l =>
        {
            if (leanStreams)
            {
                l.UseLifelineStreams();
            }
        }));
        // Experiment switch (docs/hub.md, "Performance"): Kestrel's UnsafePreferInlineScheduling runs socket writes on the
        // writer loop's thread. It lowered latency p50 a little and made p99 far worse here, so hosts keep the default.
        if (Environment.GetEnvironmentVariable("KESTREL_INLINE") == "1")
        {
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        }

        builder.Services.AddLifelineHub(o =>
        {
            o.RequireAuthentication = false;
            o.KeysEnvironmentVariable = null;
            o.Store = store;
            o.SqlitePath = sqlitePath;
            o.MaxMessagesPerSecond = 1_000_000;
            o.MemoryMaxEntries = 4_000_000;
            o.MemoryMaxBytes = 2L << 30;
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.MapLifelineHub();
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new InProcessHub(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Stops the hub (graceful drain).</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
