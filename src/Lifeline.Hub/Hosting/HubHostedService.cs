using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Hosting;

/// <summary>
/// Starts the hub with the host and stops it gracefully: on <c>ApplicationStopping</c> the hub starts draining at once
/// (so Kestrel's own request drain sees the WebSockets closing), and <see cref="StopAsync"/> awaits the full stop.
/// </summary>
internal sealed partial class HubHostedService(LogHub hub, ApiKeyStore keys, ClusterRevocations revocations, IHostApplicationLifetime lifetime, ILogger<HubHostedService> logger) : IHostedService
{
    private CancellationTokenRegistration _stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (hub.Options.RequireAuthentication)
        {
            keys.Start();
        }
        else
        {
            LogNoAuth(logger);
        }

        // In a cluster, revocations made on other nodes (also while this one was down) apply here too (docs/cluster.md).
        revocations.Start();
        await hub.StartAsync(cancellationToken).ConfigureAwait(false);
        _stopping = lifetime.ApplicationStopping.Register(hub.BeginDrain);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.DisposeAsync().ConfigureAwait(false);
        await hub.StopAsync(cancellationToken).ConfigureAwait(false);
        await revocations.DisposeAsync().ConfigureAwait(false);
        await keys.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 80, Level = LogLevel.Critical, Message = "*** AUTHENTICATION IS OFF (--no-auth) *** Anyone on this machine can read and write logs. Only loopback connections are served.")]
    private static partial void LogNoAuth(ILogger logger);
}
