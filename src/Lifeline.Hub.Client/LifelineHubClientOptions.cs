using Lifeline.Client;

namespace Lifeline.Hub.Client;

/// <summary>Settings of a <see cref="LifelineHubClient"/>. Read once, in its constructor.</summary>
public sealed class LifelineHubClientOptions
{
    /// <summary>The hub's base address (<c>http</c>, <c>https</c>, <c>ws</c> or <c>wss</c>); <c>v1/stream</c> and <c>v1/ingest</c> are resolved against it.</summary>
    /// <value>Required; no default.</value>
    public Uri? Url { get; set; }

    /// <summary>The API key, sent as <c>Authorization: Bearer</c>: scope <c>read</c> to subscribe, <c>write</c> to publish.</summary>
    /// <value>Default <see langword="null"/>: no key (a hub run with <c>--no-auth</c>).</value>
    public string? ApiKey { get; set; }

    /// <summary>
    /// A stable id of this client instance: the hub counts its reconnects, and a publish <c>ref</c> repeated under it is an
    /// idempotent retry. Refs also carry a random per-instance prefix, so reusing a client id across restarts never makes the
    /// hub mistake a new batch for an old one.
    /// </summary>
    /// <value>Default <see langword="null"/>: <c>lifeline-</c> and 12 random hex digits.</value>
    public string? ClientId { get; set; }

    /// <summary>
    /// Adjusts the options of every underlying <see cref="LifelineClient"/> (timeouts, reconnect, <c>TimeProvider</c>, logging).
    /// <see cref="LifelineClientOptions.Uri"/>, <see cref="LifelineClientOptions.UriProvider"/> and message handling are
    /// set by this client after the callback runs.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public Action<LifelineClientOptions>? ConfigureClient { get; set; }

    /// <summary>The largest publish message sent; a larger batch is split into several messages, each acknowledged.</summary>
    /// <value>Default 512 KiB (the hub's default frame limit is 1 MiB). At least 1 KiB.</value>
    public int MaxPublishBytes { get; set; } = 512 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (Url is null || !Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            throw new ArgumentException($"{nameof(Url)} must be an absolute http, https, ws or wss address; got '{Url}'.", nameof(Url));
        }

        if (ClientId is { Length: 0 or > 128 })
        {
            throw new ArgumentException($"{nameof(ClientId)} must be 1 to 128 characters when set.", nameof(ClientId));
        }

        if (MaxPublishBytes < 1024)
        {
            throw new ArgumentException($"{nameof(MaxPublishBytes)} must be at least 1024; got {MaxPublishBytes}.", nameof(MaxPublishBytes));
        }
    }
}
