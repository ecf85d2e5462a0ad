using System.Net.WebSockets;
using System.Security.Cryptography;
using Lifeline.Client;
using Lifeline.Hub.Client.Shipping;
using Lifeline.Protocol;

namespace Lifeline.Hub.Client;

/// <summary>
/// The typed client of a Lifeline hub (docs/hub-client.md): filtered subscriptions that resume from the last id seen across
/// reconnects (<see cref="SubscribeAsync"/>), and publishing that returns the hub's acknowledgement and never stores a retried
/// batch twice (<see cref="PublishAsync"/>). Both run on <see cref="LifelineClient"/>, so they reconnect by themselves.
/// </summary>
/// <remarks>
/// Thread-safe: any number of subscriptions (each its own connection) and concurrent publishes (sharing one <c>/v1/ingest</c>
/// connection, opened on first use). <see cref="DisposeAsync"/> closes the ingest connection and fails publishes still
/// waiting; each subscription's connection ends with its enumeration.
/// </remarks>
public sealed partial class LifelineHubClient : IAsyncDisposable, ILogBatchPublisher
{
    private readonly Uri _baseUrl;
    private readonly string? _apiKey;
    private readonly Action<LifelineClientOptions>? _configureClient;
    private readonly IngestSession _ingest;

    /// <summary>Creates the client; nothing connects until the first subscription or publish.</summary>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="LifelineHubClientOptions.Validate"/>).</exception>
    public LifelineHubClient(LifelineHubClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _baseUrl = ToWebSocketBase(options.Url!);
        _apiKey = options.ApiKey;
        _configureClient = options.ConfigureClient;
        ClientId = options.ClientId ?? "lifeline-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        _ingest = new IngestSession(this, options.MaxPublishBytes);
    }

    /// <summary>The id this client sends as <c>clientId</c>.</summary>
    public string ClientId { get; }

    /// <summary>Closes the ingest connection (publishes still waiting fail with <see cref="ObjectDisposedException"/>). Idempotent.</summary>
    public ValueTask DisposeAsync() => _ingest.DisposeAsync();

    /// <summary>The options of one underlying connection: the user's adjustments, then what this client must own.</summary>
    private LifelineClientOptions CreateClientOptions(Func<Uri> uriProvider, string name)
    {
        var options = new LifelineClientOptions { Name = name };
        _configureClient?.Invoke(options);
        options.Uri = null;
        options.UriProvider = uriProvider;
        if (_apiKey is { } key)
        {
            var configure = options.ConfigureWebSocket;
            options.ConfigureWebSocket = ws =>
            {
                configure?.Invoke(ws);
                ws.SetRequestHeader("Authorization", "Bearer " + key);
            };
        }

        return options;
    }

    private Uri Endpoint(string path, string query) =>
        new UriBuilder(new Uri(_baseUrl, path)) { Query = query }.Uri;

    private static Uri ToWebSocketBase(Uri url)
    {
        var builder = new UriBuilder(url)
        {
            Scheme = url.Scheme switch { "http" => "ws", "https" => "wss", _ => url.Scheme },
            Query = "",
            Fragment = "",
        };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        return builder.Uri;
    }

    /// <summary>Whether the hub's close is a "do not retry" (protocol: 1000 asked for, 1003/1007/1008/1009 and 4400-4499).</summary>
    internal static bool IsFatalClose(WebSocketCloseStatus? status, string? description) =>
        status is { } s && (int)s is 1003 or 1007 or 1008 or 1009 or (>= 4400 and <= 4499);

    /// <summary>
    /// The reconnect delay: the hub's jittered <c>retryAfterMs</c> when it is shutting down (1001), at once after a
    /// slow-consumer close (4008, the position is kept), the client's default otherwise.
    /// </summary>
    internal static TimeSpan? ReconnectDelay(ReconnectContext context)
    {
        if (context.CloseStatus is { } status && (int)status == CloseCodes.GoingAway
            && CloseReason.TryParse(context.CloseDescription, out var reason) && reason.RetryAfterMs is { } ms and >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (context.CloseStatus is { } slow && (int)slow == CloseCodes.SlowConsumer)
        {
            return TimeSpan.Zero;
        }

        return context.DefaultDelay;
    }
}
