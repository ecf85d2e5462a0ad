using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Lifeline.Client;

/// <summary>
/// Settings of a <see cref="LifelineClient"/>. The client validates and copies them in its constructor; changing this
/// object afterwards has no effect on that client.
/// </summary>
public sealed class LifelineClientOptions
{
    /// <summary>The AppContext switch (or environment variable <c>LIFELINE_TRACK_UNSTOPPED_CLIENTS=1</c>) that turns <see cref="TrackUnstoppedClients"/> on by default.</summary>
    public const string TrackUnstoppedClientsSwitch = "Lifeline.Client.TrackUnstoppedClients";

    /// <summary>The server URI (<c>ws://</c> or <c>wss://</c>).</summary>
    /// <value>Default <see langword="null"/>. Either this or <see cref="UriProvider"/> is required.</value>
    public Uri? Uri { get; set; }

    /// <summary>Called before every connect attempt for the URI to use (for example to add <c>?after=lastId</c> to resume); wins over <see cref="Uri"/>.</summary>
    /// <value>Default <see langword="null"/>. A throw counts as a failed connect attempt.</value>
    public Func<Uri>? UriProvider { get; set; }

    /// <summary>Called for each new socket before it connects: headers, subprotocols, proxy, certificates.</summary>
    /// <value>Default <see langword="null"/>. Runs after the client has set its keep-alive options, so it may override them.</value>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>The clock for backoff, connect timeout, inactivity timeout, close timeout and buffer TTL.</summary>
    /// <value>Default <see cref="System.TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How long a connect attempt (TCP, TLS and the WebSocket handshake) may take before it counts as failed.</summary>
    /// <value>Default 15 seconds. Must be positive.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a WebSocket ping is sent (<see cref="ClientWebSocketOptions.KeepAliveInterval"/>).</summary>
    /// <value>Default 15 seconds. <see cref="TimeSpan.Zero"/> turns pings off. Timed by the runtime, not <see cref="TimeProvider"/>.</value>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for the pong before the connection counts as dead (<see cref="ClientWebSocketOptions.KeepAliveTimeout"/>).</summary>
    /// <value>Default 10 seconds. <see cref="Timeout.InfiniteTimeSpan"/> sends unsolicited pongs instead (no dead-peer detection).</value>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Dead-peer detection by silence: if no message arrives for this long the connection is replaced (reason <see cref="DisconnectReason.HeartbeatTimeout"/>).</summary>
    /// <value>Default <see langword="null"/> (off). Must be positive when set. For the Lifeline hub, twice its <c>heartbeatMs</c>.</value>
    public TimeSpan? InactivityTimeout { get; set; }

    /// <summary>How long <see cref="LifelineClient.StopAsync"/> waits for the close handshake when its token does not fire first.</summary>
    /// <value>Default 5 seconds. Must be positive.</value>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When and how often to retry.</summary>
    /// <value>Default: 1 s base, 30 s cap, no attempt limit, no policy.</value>
    public ReconnectOptions Reconnect { get; set; } = new();

    /// <summary>The bounded buffer for sends.</summary>
    /// <value>Default: 1000 messages, <see cref="SendOverflowPolicy.Fail"/>, no TTL.</value>
    public SendBufferOptions SendBuffer { get; set; } = new();

    /// <summary>
    /// Runs after each (re)connect, before buffered sends are flushed and before <see cref="LifelineClient.Connected"/>:
    /// re-authenticate, re-subscribe. Messages it sends go out at once, ahead of the buffer. The token is cancelled if
    /// the connection ends or the client stops. A throw ends the connection (reason <see cref="DisconnectReason.Error"/>) and the client retries.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public Func<LifelineClient, CancellationToken, Task>? OnConnected { get; set; }

    /// <summary>An extra "do not retry" rule for server closes, on top of the default (1008 and 4400-4499); return <see langword="true"/> to stop reconnecting.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public Func<WebSocketCloseStatus?, string?, bool>? IsFatalClose { get; set; }

    /// <summary>The largest message received or sent; a larger incoming message closes the connection with 1009 and the client retries.</summary>
    /// <value>Default 1048576 (1 MiB). Must be between 1 and 1073741824.</value>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many received messages may wait for <see cref="LifelineClient.ReadAllAsync"/> (and, separately, for
    /// <see cref="LifelineClient.MessageReceived"/> handlers); when full, the client stops reading the socket until
    /// there is room, so TCP slows the server down. Nothing is dropped.
    /// </summary>
    /// <value>Default 1024. Must be at least 1.</value>
    public int ReceiveBufferCapacity { get; set; } = 1024;

    /// <summary>Whether received messages are queued for <see cref="LifelineClient.ReadAllAsync"/>. Set to <see langword="false"/> if you read messages only through <see cref="LifelineClient.MessageReceived"/>, or the queue fills and receiving pauses.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool EnableReadAll { get; set; } = true;

    /// <summary>A name for logs and the meter's <c>lifeline.client.name</c> tag.</summary>
    /// <value>Default <see langword="null"/>: the URI's host and port.</value>
    public string? Name { get; set; }

    /// <summary>
    /// Where the <c>Lifeline.Client</c> meter comes from: a host's <see cref="IMeterFactory"/> (dependency injection
    /// registers one), so its telemetry sees the client like the host's own meters; every client of the factory reports
    /// on one meter, a series per <see cref="Name"/>.
    /// </summary>
    /// <value>Default <see langword="null"/>: the client creates a meter of its own, disposed when it stops.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Where the client logs (category <c>Lifeline.Client.LifelineClient</c>).</summary>
    /// <value>Default <see langword="null"/>: no logging.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Whether a client that is started and then garbage-collected without <see cref="LifelineClient.StopAsync"/> logs a warning naming where it was created (costs a stack trace per client).</summary>
    /// <value>Default: on if the AppContext switch <see cref="TrackUnstoppedClientsSwitch"/> or the environment variable <c>LIFELINE_TRACK_UNSTOPPED_CLIENTS=1</c> is set (do so in tests), off otherwise.</value>
    public bool TrackUnstoppedClients { get; set; } = DefaultTrackUnstoppedClients();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (Uri is null && UriProvider is null)
        {
            throw new ArgumentException("Either Uri or UriProvider must be set.", nameof(Uri));
        }

        if (Uri is not null && !IsWebSocketUri(Uri))
        {
            throw new ArgumentException($"Uri must be an absolute ws:// or wss:// URI; was '{Uri}'.", nameof(Uri));
        }

        Check(TimeProvider is not null, nameof(TimeProvider), "TimeProvider must not be null.");
        Check(ConnectTimeout > TimeSpan.Zero, nameof(ConnectTimeout), $"ConnectTimeout must be positive; was {ConnectTimeout}.");
        Check(KeepAliveInterval >= TimeSpan.Zero, nameof(KeepAliveInterval), $"KeepAliveInterval must be zero (off) or positive; was {KeepAliveInterval}.");
        Check(KeepAliveTimeout > TimeSpan.Zero || KeepAliveTimeout == Timeout.InfiniteTimeSpan, nameof(KeepAliveTimeout), $"KeepAliveTimeout must be positive or infinite; was {KeepAliveTimeout}.");
        Check(InactivityTimeout is null || InactivityTimeout > TimeSpan.Zero, nameof(InactivityTimeout), $"InactivityTimeout must be positive or null; was {InactivityTimeout}.");
        Check(CloseTimeout > TimeSpan.Zero, nameof(CloseTimeout), $"CloseTimeout must be positive; was {CloseTimeout}.");
        Check(Reconnect is not null, nameof(Reconnect), "Reconnect must not be null.");
        Check(SendBuffer is not null, nameof(SendBuffer), "SendBuffer must not be null.");
        Check(MaxMessageBytes is >= 1 and <= 1024 * 1024 * 1024, nameof(MaxMessageBytes), $"MaxMessageBytes must be between 1 and 1073741824; was {MaxMessageBytes}.");
        Check(ReceiveBufferCapacity >= 1, nameof(ReceiveBufferCapacity), $"ReceiveBufferCapacity must be at least 1; was {ReceiveBufferCapacity}.");
        Reconnect!.Validate();
        SendBuffer!.Validate();
    }

    internal static bool IsWebSocketUri(Uri uri) => uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeWs || uri.Scheme == Uri.UriSchemeWss);

    internal LifelineClientOptions Clone()
    {
        var copy = (LifelineClientOptions)MemberwiseClone();
        copy.Reconnect = Reconnect.Clone();
        copy.SendBuffer = SendBuffer.Clone();
        return copy;
    }

    private static void Check(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message, name);
        }
    }

    private static bool DefaultTrackUnstoppedClients() =>
        (AppContext.TryGetSwitch(TrackUnstoppedClientsSwitch, out var on) && on)
        || Environment.GetEnvironmentVariable("LIFELINE_TRACK_UNSTOPPED_CLIENTS") == "1";
}
