using Lifeline.Hub;
using Lifeline.Hub.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Lifeline.Cli.Hosting;

/// <summary>
/// The hub and its dashboard on Kestrel, as <c>serve</c> and <c>demo</c> run it. The command's token (Ctrl+C,
/// SIGTERM) is the only stop signal: the host's own console lifetime is replaced, so nothing else hooks signals.
/// <see cref="DisposeAsync"/> stops gracefully (the hub drains, subscribers get 1001 with their resume position).
/// </summary>
internal sealed class HubHost : IAsyncDisposable
{
    private const string HubMeterName = "Lifeline.Hub";
    private const string ClientMeterName = "Lifeline.Client";
    private const string ShippingMeterName = "Lifeline.Shipping";

    private readonly WebApplication _app;
    private int _stopped;

    private HubHost(WebApplication app, IReadOnlyList<Uri> addresses)
    {
        _app = app;
        Addresses = addresses;
    }

    /// <summary>Where Kestrel listens (ports resolved when 0 was asked for).</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    public static async Task<HubHost> StartAsync(HubHostSettings settings, CliEnvironment environment, Action<HubOptions>? configure, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls([.. settings.Urls])
            .ConfigureKestrel(o => o.ConfigureEndpointDefaults(l => l.UseLifelineStreams()));
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        var log = new TextWriterLoggerProvider(environment.Error);
        builder.Logging.AddProvider(log);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Lifeline", LogLevel.Information);
        // The same path as any host: the Hub section bound and validated by the hub (ValidateOnStart), not by hand.
        void Configure(HubOptions options)
        {
            options.TimeProvider = environment.Time;
            settings.Apply(options);
            configure?.Invoke(options);
        }

        if (settings.Hub is { } section)
        {
            builder.Services.AddLifelineHub(section, Configure);
        }
        else
        {
            builder.Services.AddLifelineHub(Configure);
        }
        if (settings.Prometheus)
        {
            // The hub's meter comes from the host's IMeterFactory, so OpenTelemetry sees it like any other.
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(HubMeterName, ClientMeterName, ShippingMeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter());
        }

        // The store opens before Kestrel binds: a start that fails removes the SQLite files it created.
        var sqlite = settings.Store == HubStoreKind.Sqlite && settings.SqlitePath is { } path ? Path.GetFullPath(path) : null;
        var sqliteExisted = sqlite is not null && File.Exists(sqlite);
        log.Hold(); // a failed start is one line (below), not the host's lines about it as well
        var app = builder.Build();
        try
        {
            // Mapping resolves the hub's services, which read (bind and validate) its options: inside the try.
            app.MapLifelineHub();
            app.MapLifelineDashboard();
            if (settings.Prometheus)
            {
                app.MapPrometheusScrapingEndpoint(); // GET /metrics
            }

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            log.Release(write: true);
        }
        catch (Exception exception)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            log.Release(write: environment.GetVariable("LIFELINE_DEBUG") == "1");
            if (sqlite is not null && !sqliteExisted)
            {
                DeleteSqliteFiles(sqlite);
            }

            if (Explain(exception, settings, sqlite) is { } explained)
            {
                throw explained;
            }

            throw;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Select(a => new Uri(a.Replace("//[::]", "//[::1]", StringComparison.Ordinal).Replace("//0.0.0.0", "//127.0.0.1", StringComparison.Ordinal))).ToList();
        return new HubHost(app, addresses);
    }

    /// <summary>The one-line error for a start that failed in a way a user can fix, or null.</summary>
    private static CliException? Explain(Exception exception, HubHostSettings settings, string? sqlite)
    {
        var urls = string.Join(", ", settings.Urls);
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                // Kestrel reports a taken port as IOException wrapping AddressInUseException (or a SocketException).
                case Microsoft.AspNetCore.Connections.AddressInUseException:
                case System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }:
                    return new CliException($"cannot listen on {urls}: the address is in use (choose another port; port 0 picks a free one)", ExitCodes.Failure);
                case KeysFileException keys:
                    return new CliException(keys.Message, ExitCodes.Usage);
                case Microsoft.Extensions.Options.OptionsValidationException invalid:
                    return new CliException($"invalid hub setting: {invalid.Message}", ExitCodes.Usage);
                case InvalidOperationException binding when binding.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                    return new CliException($"invalid hub setting: {binding.Message}", ExitCodes.Usage);
                case Microsoft.Data.Sqlite.SqliteException database when sqlite is not null:
                    return new CliException($"cannot open the SQLite store '{sqlite}': {database.Message.Replace("SQLite Error ", "error ", StringComparison.Ordinal)} (does its directory exist, and is it writable?)", ExitCodes.Failure);
            }
        }

        return exception is IOException or System.Net.Sockets.SocketException
            ? new CliException($"cannot listen on {urls}: {exception.Message}", ExitCodes.Failure)
            : null;
    }

    private static void DeleteSqliteFiles(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(file))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Completes when <paramref name="cancellationToken"/> is cancelled (Ctrl+C); never throws.</summary>
    public static Task WaitForStopAsync(CancellationToken cancellationToken) =>
        Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Graceful stop within the host's shutdown timeout, then disposal. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A host lifetime that hooks no signal: the command's cancellation token decides when to stop.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
