using System.Net.WebSockets;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Ingest;
using Lifeline.Hub.Streaming;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Lifeline.Hub.Hosting;

/// <summary>Upgrades <c>/v1/stream</c> and <c>/v1/ingest</c> and runs the connection to its end.</summary>
internal sealed class WebSocketEndpoints(LogHub hub, HubAuth auth, ILoggerFactory loggers)
{
    private readonly ILogger _streamLogger = loggers.CreateLogger<Subscriber>();
    private readonly ILogger _ingestLogger = loggers.CreateLogger<IngestConnection>();

    public async Task StreamAsync(HttpContext context)
    {
        if (!LogFilter.TryParse(Parameters(context.Request.Query), out var filter, out var error))
        {
            hub.Metrics.BadInput(ErrorCodes.InvalidFilter);
            await HttpResults.ErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidFilter, error).ConfigureAwait(false);
            return;
        }

        var (socket, key, clientId) = await AcceptAsync(context, HubScopes.Read).ConfigureAwait(false);
        if (socket is null)
        {
            return;
        }

        using (socket)
        {
            await RunAsync(context, hub.CreateSubscriber(socket, filter, clientId, key, _streamLogger)).ConfigureAwait(false);
        }
    }

    public async Task IngestAsync(HttpContext context)
    {
        var (socket, key, clientId) = await AcceptAsync(context, HubScopes.Write).ConfigureAwait(false);
        if (socket is null)
        {
            return;
        }

        hub.Metrics.PublisherOpened();
        try
        {
            using (socket)
            {
                await RunAsync(context, hub.CreatePublisher(socket, clientId, key, _ingestLogger)).ConfigureAwait(false);
            }
        }
        finally
        {
            hub.Metrics.PublisherClosed();
        }
    }

    private async Task RunAsync(HttpContext context, HubConnection connection)
    {
        await hub.RunConnectionAsync(connection).ConfigureAwait(false);
        if (connection.SocketRefusedFrame)
        {
            await connection.LingerAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task<(WebSocket? Socket, ApiKey? Key, string? ClientId)> AcceptAsync(HttpContext context, HubScopes scope)
    {
        if (hub.IsDraining)
        {
            await HttpResults.UnavailableAsync(context).ConfigureAwait(false);
            return default;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.Headers.Upgrade = "websocket";
            await HttpResults.ErrorAsync(context, StatusCodes.Status426UpgradeRequired, "upgrade_required", "this endpoint is a WebSocket").ConfigureAwait(false);
            return default;
        }

        var (ok, key) = await auth.AuthorizeAsync(context, scope).ConfigureAwait(false);
        if (!ok)
        {
            return default;
        }

        var clientId = ClientIdFrom(context.Request.Query["clientId"].ToString());
        var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = HubAuth.SelectSubProtocol(context),
            KeepAliveInterval = KeepAliveIntervalFor(hub.Options.KeepAliveInterval),
            KeepAliveTimeout = hub.Options.KeepAliveTimeout,
        }).ConfigureAwait(false);
        hub.Metrics.Connected(clientId);
        return (socket, key, clientId);
    }

    /// <summary>Query parameters as the filter parser takes them (one pair per value).</summary>
    internal static IEnumerable<KeyValuePair<string, string?>> Parameters(IEnumerable<KeyValuePair<string, StringValues>> query) =>
        query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)));

    /// <summary>The stable client id a connection gave (<c>clientId</c>, 1 to 128 characters), or <see langword="null"/>.</summary>
    internal static string? ClientIdFrom(string? value) => value is { Length: > 0 and <= 128 } ? value : null;

    /// <summary>
    /// A connection's ping period: between 3/4 of <paramref name="interval"/> and <paramref name="interval"/>, drawn
    /// per connection. Sockets accepted together (a reconnect storm after a restart) would otherwise ping in the same
    /// instant for ever: thousands of sends queued at once, each holding a 4 KiB Kestrel block until its socket write
    /// runs, which leaves Kestrel's pool that many blocks larger. A shorter period never weakens the keep-alive.
    /// </summary>
    internal static TimeSpan KeepAliveIntervalFor(TimeSpan interval) => interval * (0.75 + (Random.Shared.NextDouble() * 0.25));
}
